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
	"strconv"
	"strings"
	"time"
	"unicode"

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

// Handler is a slog.Handler that renders records as
// `message key=value key=value` and writes them with Beam's log.Output.
type Handler struct {
	// attrs are the rendered attributes added by WithAttrs, each with its
	// leading space.
	attrs string
	// group is the key prefix of WithGroup ("a.b."), empty at top level.
	group string
}

// Enabled reports whether level reaches Level.
func (h Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= Level.Level()
}

// Handle writes r through Beam's logger.
func (h Handler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.group, a)
		return true
	})
	beamlog.Output(ctx, severity(r.Level), callDepth(r.PC), b.String())
	return nil
}

// WithAttrs renders attrs once, for every record of the returned handler.
func (h Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.group, a)
	}
	h.attrs = b.String()
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

// appendAttr writes " key=value", following slog's rules: empty attributes
// are dropped and a group without a key is inlined.
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			appendAttr(b, prefix, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(quote(prefix + a.Key))
	b.WriteByte('=')
	b.WriteString(quote(valueString(a.Value)))
}

func valueString(v slog.Value) string {
	switch v.Kind() {
	case slog.KindTime:
		return v.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindAny:
		switch a := v.Any().(type) {
		case error:
			if a != nil {
				return a.Error()
			}
		case []string:
			// Lists of names or tokens stay one token, without the
			// brackets and spaces of fmt's form.
			return strings.Join(a, ",")
		}
	}
	return v.String()
}

// quote quotes s when it would not read back as one token: empty, or with
// spaces, quotes, '=' or control characters.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, c := range s {
		if c == '"' || c == '=' || unicode.IsSpace(c) || !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	return s
}
