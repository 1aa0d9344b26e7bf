package logs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	fnpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/fnexecution_v1"
	"google.golang.org/grpc"
)

// captureStderr returns what f writes to os.Stderr.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	old := os.Stderr
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(pr); done <- b }()
	os.Stderr = pw
	defer func() { os.Stderr = old }()
	f()
	pw.Close()
	return string(<-done)
}

// TestFallbackKeepsAttributes: on a worker sending fields (Dataflow), an
// event that cannot be queued (buffer full: the logging service is slow or
// gone) is written to stderr whole, in the local form: severity, message
// and every attribute, not the bare message.
func TestFallbackKeepsAttributes(t *testing.T) {
	restoreLogging(t)
	r := newRemote(0) // a full buffer: nothing can be queued
	fieldSink.Store(r)

	got := captureStderr(t, func() {
		Warn(context.Background(), "record to severe", "table", "Orders", "keys", `{"id":42}`, "shard", "s7",
			"error", errors.New("Duplicate entry '42' for key 'PRIMARY'"))
	})
	for _, want := range []string{"WARN ", "fallback_test.go:", "record to severe", "table=Orders", `keys="{\"id\":42}"`, "shard=s7", `error="Duplicate entry '42' for key 'PRIMARY'"`} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr fallback %q lost %q", strings.TrimSpace(got), want)
		}
	}
}

// stuckLogging is a logging service that accepts the stream and never
// reads from it, so the client's Send blocks once the flow-control window
// is full.
type stuckLogging struct {
	fnpb.UnimplementedBeamFnLoggingServer
}

func (stuckLogging) Logging(stream fnpb.BeamFnLogging_LoggingServer) error {
	<-stream.Context().Done()
	return nil
}

// TestStuckSendEndsTheStream: a Send the service never takes ends the
// stream after sendTimeout (run then reconnects), and the entries it held
// go to stderr whole, instead of blocking the sender for ever.
func TestStuckSendEndsTheStream(t *testing.T) {
	restoreLogging(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fnpb.RegisterBeamFnLoggingServer(srv, stuckLogging{})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	old := sendTimeout
	sendTimeout = 200 * time.Millisecond
	t.Cleanup(func() { sendTimeout = old })

	// Entries large enough to fill the stream's flow-control window.
	r := newRemote(200)
	big := strings.Repeat("x", 256<<10)
	for i := 0; i < cap(r.out); i++ {
		r.send(context.Background(), time.Now(), beamlog.SevInfo, "", "big entry", []groupedAttr{{attr: slog.String("payload", big)}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	out := captureStderr(t, func() {
		go func() { errc <- r.stream(ctx, lis.Addr().String()) }()
		select {
		case err = <-errc:
		case <-time.After(2 * time.Minute):
			err = errors.New("the stream is still blocked in Send")
		}
	})
	if err == nil || !strings.Contains(err.Error(), "took longer than") {
		t.Errorf("stream ended with %v, want the send timeout", err)
	}
	if !strings.Contains(out, "INFO big entry payload=xxx") {
		t.Errorf("the entries of the stuck Send did not reach stderr in full (%d bytes written)", len(out))
	}
}
