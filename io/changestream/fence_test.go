package changestream

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// launchedTwice is a metadata table launched twice, as by a relaunch while
// the first job still runs: its Config for generation 1 (superseded) and
// 2 (current).
func launchedTwice(t *testing.T) (old, current Config) {
	t.Helper()
	ctx := context.Background()
	emu := testenv.Spanner(t)
	id := fmt.Sprintf("fence%d", time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, emu, id, false, nil)
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	tbl := meta.Table{Client: client, Name: "Metadata_fence"}
	if err := tbl.Ensure(ctx, testenv.DatabaseAdmin(t), path); err != nil {
		t.Fatal(err)
	}
	ident := meta.Identity{Stream: "s", Start: time.Now().Add(-time.Minute).UTC(), StartGiven: true, End: meta.Unbounded}
	for want := int64(1); want <= 2; want++ {
		l, err := tbl.Launch(ctx, ident, 500)
		if err != nil || l.Generation != want {
			t.Fatalf("launch %d: generation %d, %v", want, l.Generation, err)
		}
	}
	old = Config{Stream: "s", MetadataDatabase: path, MetadataTable: tbl.Name, Generation: 1, PollMillis: 100, QueryWindowMillis: 1000}
	current = old
	current.Generation = 2
	return old, current
}

// supersededCount is the superseded_errors counter in ctx's metrics store.
func supersededCount(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	var n int64
	err := metrics.Extractor{SumInt64: func(l metrics.Labels, v int64) {
		if l.Namespace() == SupersededNamespace && l.Name() == SupersededCounter {
			n += v
		}
	}}.ExtractFrom(metrics.GetStore(ctx))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func bundleContext() context.Context {
	return metrics.SetPTransformID(metrics.SetBundleID(context.Background(), "bundle"), "step")
}

// TestSupersededPartsStopWithoutError: once a later launch has taken the
// metadata table, the old job's partition reader and partition detector
// end their restrictions for good and return no error (a runner retries a
// failing bundle, Dataflow forever, which kept the superseded job running
// and retrying), and count superseded_errors. The detector of the current
// launch polls on.
func TestSupersededPartsStopWithoutError(t *testing.T) {
	old, current := launchedTwice(t)

	t.Run("reader", func(t *testing.T) {
		ctx := bundleContext()
		f := &readFn{clientFn: clientFn{Config: old}}
		if err := f.setup(ctx, false); err != nil {
			t.Fatal(err)
		}
		defer f.teardown()
		p := meta.Partition{Token: meta.RootToken, Start: time.Now().Add(-time.Minute).UnixNano(), End: meta.Unbounded}
		rt := f.CreateTracker(f.CreateInitialRestriction(p))
		emitted := 0
		cont, err := f.ProcessElement(ctx, f.CreateWatermarkEstimator(), rt, p, func(beam.EventTime, record.DataChangeRecord) { emitted++ })
		wantStopped(t, "reader", cont, err, rt)
		if emitted != 0 {
			t.Errorf("the superseded reader emitted %d records", emitted)
		}
		if n := supersededCount(t, ctx); n != 1 {
			t.Errorf("superseded_errors = %d, want 1", n)
		}
	})

	t.Run("detector", func(t *testing.T) {
		ctx := bundleContext()
		f := &detectFn{clientFn: clientFn{Config: old}}
		if err := f.Setup(ctx); err != nil {
			t.Fatal(err)
		}
		defer f.Teardown()
		rt := f.CreateTracker(f.CreateInitialRestriction(nil))
		var got []meta.Partition
		cont, err := f.ProcessElement(ctx, f.CreateWatermarkEstimator(), rt, nil, func(_ beam.EventTime, p meta.Partition) { got = append(got, p) })
		wantStopped(t, "detector", cont, err, rt)
		if len(got) != 0 {
			t.Errorf("the superseded detector handed out %+v", got)
		}
		if n := supersededCount(t, ctx); n != 1 {
			t.Errorf("superseded_errors = %d, want 1", n)
		}
	})

	t.Run("current detector polls on", func(t *testing.T) {
		ctx := bundleContext()
		f := &detectFn{clientFn: clientFn{Config: current}}
		if err := f.Setup(ctx); err != nil {
			t.Fatal(err)
		}
		defer f.Teardown()
		rt := f.CreateTracker(f.CreateInitialRestriction(nil))
		var got []meta.Partition
		cont, err := f.ProcessElement(ctx, f.CreateWatermarkEstimator(), rt, nil, func(_ beam.EventTime, p meta.Partition) { got = append(got, p) })
		if err != nil || !cont.ShouldResume() {
			t.Fatalf("current detector: resume %v, %v; want it to poll on", cont.ShouldResume(), err)
		}
		if len(got) != 1 || got[0].Token != meta.RootToken {
			t.Errorf("current detector handed out %+v, want the root partition", got)
		}
		if n := supersededCount(t, ctx); n != 0 {
			t.Errorf("superseded_errors = %d, want 0", n)
		}
	})

	t.Run("fence", func(t *testing.T) {
		for _, tc := range []struct {
			cfg  Config
			want bool
		}{{old, true}, {current, false}, {Config{}, false}} {
			ctx := bundleContext()
			f := tc.cfg.Fence()
			if err := f.Setup(ctx); err != nil {
				t.Fatal(err)
			}
			if got := f.Superseded(ctx); got != tc.want {
				t.Errorf("Fence of generation %d: superseded %v, want %v", tc.cfg.Generation, got, tc.want)
			}
			f.Teardown()
		}
	})
}

func wantStopped(t *testing.T, what string, cont sdf.ProcessContinuation, err error, rt *sdf.LockRTracker) {
	t.Helper()
	if err != nil {
		t.Errorf("superseded %s returned %v, want no error (a runner retries errors)", what, err)
	}
	if cont == nil || cont.ShouldResume() {
		t.Errorf("superseded %s asks to resume, want it to stop", what)
	}
	// Nothing is left for the runner to resume: a checkpoint now has no
	// residual.
	if _, residual, err := rt.TrySplit(0); residual != nil || err != nil || rt.GetError() != nil {
		t.Errorf("superseded %s left its restriction %+v unfinished: residual %v (errors %v, %v)",
			what, rt.GetRestriction().(offsetrange.Restriction), residual, err, rt.GetError())
	}
}
