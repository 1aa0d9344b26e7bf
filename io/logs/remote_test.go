package logs

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/harness"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/hooks"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	fnpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/fnexecution_v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

// fakeLogging is a runner's Fn API logging service that hands over every
// entry it receives.
type fakeLogging struct {
	fnpb.UnimplementedBeamFnLoggingServer
	entries chan *fnpb.LogEntry
}

func (f *fakeLogging) Logging(stream fnpb.BeamFnLogging_LoggingServer) error {
	for {
		list, err := stream.Recv()
		if err != nil {
			return nil
		}
		for _, e := range list.GetLogEntries() {
			f.entries <- e
		}
	}
}

// serveLogging starts a fakeLogging on a loopback port.
func serveLogging(t *testing.T) (*fakeLogging, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	f := &fakeLogging{entries: make(chan *fnpb.LogEntry, 100)}
	fnpb.RegisterBeamFnLoggingServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return f, lis.Addr().String()
}

// next waits for the next entry the service receives.
func (f *fakeLogging) next(t *testing.T) *fnpb.LogEntry {
	t.Helper()
	select {
	case e := <-f.entries:
		return e
	case <-time.After(time.Minute):
		t.Fatal("no log entry reached the logging service")
		return nil
	}
}

// restoreLogging undoes what a worker's logging hook installed.
func restoreLogging(t *testing.T) {
	t.Cleanup(func() {
		fieldSink.Store(nil)
		beamlog.SetLogger(&beamlog.Structural{})
		Level.Set(slog.LevelInfo)
	})
}

const longToken = "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0KkLlMmNnOoPpQqRrSsTtUuVvWwXxYyZz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz"

// On a worker configured for fields, the attributes reach the runner as
// the entry's custom_data and the message is the event alone.
func TestFieldsReachTheRunner(t *testing.T) {
	restoreLogging(t)
	svc, addr := serveLogging(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startRemote(ctx, addr)

	_, _, line, _ := runtime.Caller(0)
	Warn(ctx, "partition started", "stream", "s1", "partition", Token(longToken), "attempt", 3, "ok", true,
		"pause", 1500*time.Millisecond, slog.Group("shard", "id", "s-1"), "parents", Tokens{longToken, "short"},
		"commit", int64(1)<<60, "error", fmt.Errorf("boom"))
	e := svc.next(t)
	if e.GetMessage() != "partition started" {
		t.Errorf("message %q, want the event alone", e.GetMessage())
	}
	if e.GetSeverity() != fnpb.LogEntry_Severity_WARN {
		t.Errorf("severity %v, want WARN", e.GetSeverity())
	}
	if want := fmt.Sprintf("remote_test.go:%d", line+1); !strings.HasSuffix(e.GetLogLocation(), want) {
		t.Errorf("location %q, want the logging line %s", e.GetLogLocation(), want)
	}
	got, err := protojson.Marshal(e.GetCustomData())
	if err != nil {
		t.Fatal(err)
	}
	short := Token(longToken).Short()
	want := fmt.Sprintf(`{"attempt":3,"commit":"1152921504606846976","error":"boom","ok":true,"parents":["%s","short"],"partition":"%s","pause":"1.5s","shard_id":"s-1","stream":"s1"}`, short, short)
	if norm := strings.ReplaceAll(string(got), " ", ""); norm != want {
		t.Errorf("custom_data\n %s\nwant\n %s", norm, want)
	}

	// Beam's own messages take the same stream, without fields.
	beamlog.Info(ctx, "from the SDK")
	if e := svc.next(t); e.GetMessage() != "from the SDK" || e.GetCustomData() != nil {
		t.Errorf("SDK entry %v, want the message without fields", e)
	}
}

// Configure puts the level and the form on the job's worker hook, and the
// worker applies them before running anything.
func TestConfigureReachesWorkers(t *testing.T) {
	restoreLogging(t)
	t.Cleanup(func() {
		hooks.DisableHook(hookName)
		hooks.EnableHook(harness.DefaultRemoteLoggingHook)
	})
	if err := Configure(slog.LevelDebug, true); err != nil {
		t.Fatal(err)
	}
	on, args := hooks.IsEnabled(hookName)
	if !on || strings.Join(args, " ") != "level=DEBUG fields=true" {
		t.Fatalf("worker hook enabled=%v args=%v, want level=DEBUG fields=true", on, args)
	}
	if on, _ := hooks.IsEnabled(harness.DefaultRemoteLoggingHook); on {
		t.Error("Beam's own remote logging is still enabled beside the field sender")
	}

	// The worker: a fresh process at Info, started by the runner with
	// its logging endpoint.
	Level.Set(slog.LevelInfo)
	svc, addr := serveLogging(t)
	if f := flag.Lookup("logging_endpoint"); f == nil {
		flag.String("logging_endpoint", "", "the harness's flag")
	}
	if err := flag.Set("logging_endpoint", addr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := applyOnWorker(ctx, args); err != nil {
		t.Fatal(err)
	}
	Debug(ctx, "records to retry", "count", 2)
	if e := svc.next(t); e.GetMessage() != "records to retry" || e.GetSeverity() != fnpb.LogEntry_Severity_DEBUG ||
		e.GetCustomData().GetFields()["count"].GetNumberValue() != 2 {
		t.Errorf("debug entry %v, want the debug event with count=2 as a field", e)
	}

	if err := applyOnWorker(ctx, []string{"level=LOUD"}); err == nil || !strings.Contains(err.Error(), "LOUD") {
		t.Errorf("bad level on a worker: %v, want an error naming it", err)
	}
}

func TestConfigureText(t *testing.T) {
	restoreLogging(t)
	t.Cleanup(func() { hooks.DisableHook(hookName) })
	if err := Configure(slog.LevelWarn, false); err != nil {
		t.Fatal(err)
	}
	if on, args := hooks.IsEnabled(hookName); !on || strings.Join(args, " ") != "level=WARN" {
		t.Fatalf("worker hook enabled=%v args=%v, want level=WARN", on, args)
	}
	if on, _ := hooks.IsEnabled(harness.DefaultRemoteLoggingHook); !on {
		t.Error("Beam's remote logging disabled for a text run")
	}
	Level.Set(slog.LevelInfo)
	if err := applyOnWorker(context.Background(), []string{"level=WARN"}); err != nil || Level.Level() != slog.LevelWarn {
		t.Errorf("worker level %v (err %v), want WARN", Level.Level(), err)
	}
	if fieldSink.Load() != nil {
		t.Error("a text run installed the field sender")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "Warn": slog.LevelWarn, "warning": slog.LevelWarn, "ERROR": slog.LevelError} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "TRACE", "info "} {
		if _, err := ParseLevel(in); err == nil {
			t.Errorf("ParseLevel(%q) accepted", in)
		}
	}
}
