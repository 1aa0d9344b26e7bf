package transforms

import (
	"context"
	"reflect"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
)

// TestPollRetryResumedElsewhereSkipsFilesInFlight: the files the retry/
// poller had handed out were remembered in the DoFn instance only, so a
// poll resumed from a checkpoint by another instance read a file whose
// records were still in flight again, and those failing again reached
// retry/ twice. The checkpoint must carry them; once a listing no longer
// shows a file (consumed and deleted), it leaves the set.
func TestPollRetryResumedElsewhereSkipsFilesInFlight(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	path, err := (dlq.Writer{Root: root}).Write(ctx, dlq.RetryDir, [][]byte{[]byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	// poll runs one poll of a new instance resuming restriction rest (nil:
	// the initial one) and returns what it emitted and the checkpoint.
	poll := func(rest any) (emitted []string, residual any) {
		t.Helper()
		f := &pollRetryFn{Root: root, IntervalMillis: 1}
		if rest == nil {
			rest = reflect.ValueOf(f).MethodByName("CreateInitialRestriction").Call(
				[]reflect.Value{reflect.ValueOf([]byte(nil))})[0].Interface()
		}
		rt := reflect.ValueOf(f).MethodByName("CreateTracker").Call(
			[]reflect.Value{reflect.ValueOf(rest)})[0].Interface().(*sdf.LockRTracker)
		cont, err := f.ProcessElement(ctx, &sdf.ManualWatermarkEstimator{}, rt, nil,
			func(_ beam.EventTime, p string) { emitted = append(emitted, p) })
		if err != nil || !cont.ShouldResume() {
			t.Fatalf("poll: %v, resume %v", err, cont.ShouldResume())
		}
		_, residual, err = rt.TrySplit(0) // the runner's checkpoint
		if err != nil || residual == nil {
			t.Fatalf("checkpoint: residual %v, %v", residual, err)
		}
		return emitted, residual
	}
	got, rest := poll(nil)
	if len(got) != 1 || got[0] != path {
		t.Fatalf("first poll emitted %q, want %s", got, path)
	}
	if got, rest = poll(rest); len(got) != 0 {
		t.Fatalf("a poll resumed on another instance emitted %q again while in flight", got)
	}
	if err := dlq.Remove(ctx, path); err != nil {
		t.Fatal(err)
	}
	_, rest = poll(rest)
	if emitted := reflect.ValueOf(rest).FieldByName("Emitted"); emitted.IsValid() && emitted.Len() != 0 {
		t.Errorf("the checkpoint after the deletion still holds %v", emitted)
	}
	// A new file is emitted.
	if _, err := (dlq.Writer{Root: root}).Write(ctx, dlq.RetryDir, [][]byte{[]byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if got, _ = poll(rest); len(got) != 1 {
		t.Fatalf("after the deletion a new file was emitted %d times, want once", len(got))
	}
}
