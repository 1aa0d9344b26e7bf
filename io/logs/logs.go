// Package logs writes structured events through Beam's log package: one
// short constant message per event, details as key=value attributes. Going
// through Beam's logger, rather than a handler of its own, is what lets the
// worker attach the bundle and transform ids (carried by ctx) to each entry
// on Dataflow.
//
// Events must stay rare: per partition, per shard state change, per severe
// record. Anything per record or per batch belongs at Debug, which is off
// unless Level is lowered, because Dataflow keeps every line it is sent.
package logs

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
)

// Level is the lowest level written (Info by default).
var Level = new(slog.LevelVar)

// handler is the handler behind Debug, Info, Warn and Error.
var handler slog.Handler = Handler{}

// Debug logs an event at debug level; args are slog key-value pairs or
// slog.Attr values.
func Debug(ctx context.Context, msg string, args ...any) { output(ctx, slog.LevelDebug, msg, args) }

// Info logs an event at info level.
func Info(ctx context.Context, msg string, args ...any) { output(ctx, slog.LevelInfo, msg, args) }

// Warn logs an event at warn level.
func Warn(ctx context.Context, msg string, args ...any) { output(ctx, slog.LevelWarn, msg, args) }

// Error logs an event at error level.
func Error(ctx context.Context, msg string, args ...any) { output(ctx, slog.LevelError, msg, args) }

// output builds the record itself, as slog's wrapping example does, so the
// source location is the caller of Info rather than Info.
func output(ctx context.Context, level slog.Level, msg string, args []any) {
	h := handler
	if !h.Enabled(ctx, level) {
		return
	}
	var pcs [1]uintptr
	runtime.Callers(3, pcs[:]) // skip Callers, output and Info
	r := slog.NewRecord(time.Now(), level, msg, pcs[0])
	r.Add(args...)
	_ = h.Handle(ctx, r)
}

// Handler is a slog.Handler. Where the job's workers send log entries with
// fields (see Configure: on Dataflow), it sends the message alone and the
// attributes as the entry's fields; elsewhere it renders records as
// `message key=value key=value` and writes them with Beam's log.Output.
type Handler struct {
	// attrs are the attributes added by WithAttrs, each with the group
	// prefix in force when it was added.
	attrs []groupedAttr
	// group is the key prefix of WithGroup ("a.b."), empty at top level.
	group string
}

// groupedAttr is an attribute and the group prefix of its key.
type groupedAttr struct {
	prefix string
	attr   slog.Attr
}

// Enabled reports whether level reaches Level.
func (h Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= Level.Level()
}

// Handle writes r: as message and fields to the field sink when there is
// one, as one line of text through Beam's logger otherwise.
func (h Handler) Handle(ctx context.Context, r slog.Record) error {
	attrs := make([]groupedAttr, len(h.attrs), len(h.attrs)+r.NumAttrs())
	copy(attrs, h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, groupedAttr{h.group, a})
		return true
	})
	if s := fieldSink.Load(); s != nil {
		s.send(ctx, r.Time, severity(r.Level), location(r.PC), r.Message, attrs)
		return nil
	}
	beamlog.Output(ctx, severity(r.Level), callDepth(r.PC), text(r.Message, attrs))
	return nil
}

// WithAttrs keeps attrs for every record of the returned handler.
func (h Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	all := make([]groupedAttr, len(h.attrs), len(h.attrs)+len(attrs))
	copy(all, h.attrs)
	for _, a := range attrs {
		all = append(all, groupedAttr{h.group, a})
	}
	h.attrs = all
	return h
}

// WithGroup prefixes the keys of later attributes with name.
func (h Handler) WithGroup(name string) slog.Handler {
	if name != "" {
		h.group += name + "."
	}
	return h
}

func severity(l slog.Level) beamlog.Severity {
	switch {
	case l < slog.LevelInfo:
		return beamlog.SevDebug
	case l < slog.LevelWarn:
		return beamlog.SevInfo
	case l < slog.LevelError:
		return beamlog.SevWarn
	}
	return beamlog.SevError
}

// callDepth counts the frames between Handle and the frame of pc, so that
// Beam's worker logger, which takes the location from a frame count,
// reports the line that logged rather than this package. It is 0 (Handle
// itself) when pc is unknown or not on the stack.
func callDepth(pc uintptr) int {
	if pc == 0 {
		return 0
	}
	want, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:]) // skip Callers, callDepth and Handle
	frames := runtime.CallersFrames(pcs[:n])
	for depth := 1; ; depth++ {
		f, more := frames.Next()
		if f.Function == want.Function && f.File == want.File && f.Line == want.Line {
			return depth
		}
		if !more {
			return 0
		}
	}
}
