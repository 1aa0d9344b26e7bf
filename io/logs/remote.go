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
	"google.golang.org/protobuf/types/known/structpb"
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
	out chan *fnpb.LogEntry
}

// newRemote returns a remote whose entries wait in a buffer of size
// entries until run sends them.
func newRemote(size int) *remote {
	return &remote{out: make(chan *fnpb.LogEntry, size)}
}

// Log is Beam's log.Logger: a message without fields.
func (r *remote) Log(ctx context.Context, sev beamlog.Severity, calldepth int, msg string) {
	loc := ""
	if _, file, line, ok := runtime.Caller(calldepth + 1); ok {
		loc = fmt.Sprintf("%s:%d", file, line)
	}
	r.send(ctx, time.Now(), sev, loc, msg, nil)
}

// send queues one entry; like Beam's logger, it writes the message to
// stderr rather than block when the buffer is full.
func (r *remote) send(ctx context.Context, at time.Time, sev beamlog.Severity, loc, msg string, data *structpb.Struct) {
	e := &fnpb.LogEntry{
		Timestamp:     timestamppb.New(at),
		Severity:      fnSeverity(sev),
		Message:       msg,
		LogLocation:   loc,
		InstructionId: metrics.GetBundleID(ctx),
		TransformId:   metrics.GetTransformID(ctx),
		CustomData:    data,
	}
	select {
	case r.out <- e:
	default:
		fmt.Fprintln(os.Stderr, msg)
	}
}

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

// stream sends batches of entries over one Logging stream.
func (r *remote) stream(ctx context.Context, endpoint string) error {
	conn, err := grpcx.Dial(ctx, endpoint, 30*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	client, err := fnpb.NewBeamFnLoggingClient(conn).Logging(ctx)
	if err != nil {
		return err
	}
	defer client.CloseSend()
	const batch = 64
	for {
		var list []*fnpb.LogEntry
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-r.out:
			list = append(list, e)
		}
		for len(list) < batch && len(r.out) > 0 {
			list = append(list, <-r.out)
		}
		if err := client.Send(&fnpb.LogEntry_List{LogEntries: list}); err != nil {
			for _, e := range list {
				fmt.Fprintln(os.Stderr, e.GetMessage())
			}
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
