package logs

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	fnpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/fnexecution_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/grpcx"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fieldSink, when set, receives every event with its attributes as fields.
// It is set on a worker whose job was configured to send fields (see
// Configure), before the worker runs any DoFn.
var fieldSink atomic.Pointer[remote]

// remote sends log entries to the runner's Fn API logging service, as the
// Go SDK harness's own logger does, plus the entry's custom_data, which
// that logger never fills: Beam's Go harness has no way to pass fields. It
// is also Beam's logger on such a worker (beamlog.SetLogger), so the SDK's
// own messages still reach the runner, over the same stream.
type remote struct {
	out chan queued
}

// newRemote returns a remote whose entries wait in a buffer of size
// entries until run sends them.
func newRemote(size int) *remote {
	return &remote{out: make(chan queued, size)}
}

// Log is Beam's log.Logger: a message without fields.
func (r *remote) Log(ctx context.Context, sev beamlog.Severity, calldepth int, msg string) {
	loc := ""
	if _, file, line, ok := runtime.Caller(calldepth + 1); ok {
		loc = fmt.Sprintf("%s:%d", file, line)
	}
	r.send(ctx, time.Now(), sev, loc, msg, nil)
}

// send queues one entry; like Beam's logger, it writes to stderr rather
// than block when the buffer is full, but the whole event: severity,
// message and attributes in the local form (see fallbackLine).
func (r *remote) send(ctx context.Context, at time.Time, sev beamlog.Severity, loc, msg string, attrs []groupedAttr) {
	e := &fnpb.LogEntry{
		Timestamp:     timestamppb.New(at),
		Severity:      fnSeverity(sev),
		Message:       msg,
		LogLocation:   loc,
		InstructionId: metrics.GetBundleID(ctx),
		TransformId:   metrics.GetTransformID(ctx),
		CustomData:    fields(attrs),
	}
	q := queued{entry: e, text: msg}
	if len(attrs) > 0 {
		q.text = text(msg, attrs)
	}
	select {
	case r.out <- q:
	default:
		fmt.Fprintln(os.Stderr, q.fallbackLine())
	}
}

// queued is an entry waiting to be sent, with its text in the local form
// (`message key=value ...`) for when it cannot be.
type queued struct {
	entry *fnpb.LogEntry
	text  string
}

// fallbackLine is the line written to stderr for an entry that cannot be
// sent: `SEVERITY location: message key=value ...`.
func (q queued) fallbackLine() string {
	sev := q.entry.GetSeverity().String()
	if loc := q.entry.GetLogLocation(); loc != "" {
		return sev + " " + loc + ": " + q.text
	}
	return sev + " " + q.text
}

// sendTimeout bounds one Send on the logging stream: a service that stops
// reading would otherwise block it for ever, and the buffer behind it
// would fill. The stream is then dropped and opened again.
var sendTimeout = time.Minute

// run sends the queued entries to the logging service at endpoint until
// ctx ends, reconnecting after a failure.
func (r *remote) run(ctx context.Context, endpoint string) {
	for ctx.Err() == nil {
		err := r.stream(ctx, endpoint)
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "sending logs to %s failed: %v; retrying in 5s\n", endpoint, err)
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}

// stream sends batches of entries over one Logging stream. A Send that
// takes longer than sendTimeout ends the stream (and so the Send) with an
// error; run opens a new one.
func (r *remote) stream(ctx context.Context, endpoint string) error {
	conn, err := grpcx.Dial(ctx, endpoint, 30*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	client, err := fnpb.NewBeamFnLoggingClient(conn).Logging(streamCtx)
	if err != nil {
		return err
	}
	defer client.CloseSend()
	const batch = 64
	for {
		var list []queued
		select {
		case <-ctx.Done():
			return ctx.Err()
		case q := <-r.out:
			list = append(list, q)
		}
		for len(list) < batch && len(r.out) > 0 {
			list = append(list, <-r.out)
		}
		entries := make([]*fnpb.LogEntry, len(list))
		for i, q := range list {
			entries[i] = q.entry
		}
		timer := time.AfterFunc(sendTimeout, cancel)
		err := client.Send(&fnpb.LogEntry_List{LogEntries: entries})
		timedOut := !timer.Stop() && ctx.Err() == nil
		if err != nil {
			for _, q := range list {
				fmt.Fprintln(os.Stderr, q.fallbackLine())
			}
		}
		switch {
		case timedOut && err != nil:
			return fmt.Errorf("sending %d log entries took longer than %s: %w", len(list), sendTimeout, err)
		case timedOut:
			return fmt.Errorf("sending %d log entries took longer than %s; the stream was dropped", len(list), sendTimeout)
		case err != nil:
			return err
		}
	}
}

func fnSeverity(sev beamlog.Severity) fnpb.LogEntry_Severity_Enum {
	switch sev {
	case beamlog.SevDebug:
		return fnpb.LogEntry_Severity_DEBUG
	case beamlog.SevWarn:
		return fnpb.LogEntry_Severity_WARN
	case beamlog.SevError:
		return fnpb.LogEntry_Severity_ERROR
	case beamlog.SevFatal:
		return fnpb.LogEntry_Severity_CRITICAL
	}
	return fnpb.LogEntry_Severity_INFO
}

// location is "file:line" of pc, empty when unknown.
func location(pc uintptr) string {
	if pc == 0 {
		return ""
	}
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	if f.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", f.File, f.Line)
}
