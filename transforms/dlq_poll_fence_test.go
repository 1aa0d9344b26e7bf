package transforms

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
)

// TestPollRetryStopsWhenSuperseded: the retry/ poller of a job whose
// launch was superseded (a second launch on the same metadata table) reads
// no retry/ file and stops for good, without an error that a runner would
// retry; before, it went on consuming retry/ beside the new job's poller,
// and records failing again were written to retry/ twice. The poller of
// the current launch, and one without a change stream, read the file.
func TestPollRetryStopsWhenSuperseded(t *testing.T) {
	ctx := context.Background()
	emu := testenv.Spanner(t)
	path := testenv.CreateDatabase(t, emu, fmt.Sprintf("pollfence%d", time.Now().UnixNano()%1e9), false, nil)
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	tbl := meta.Table{Client: client, Name: "Metadata_pollfence"}
	if err := tbl.Ensure(ctx, testenv.DatabaseAdmin(t), path); err != nil {
		t.Fatal(err)
	}
	id := meta.Identity{Stream: "s", Start: time.Now().UTC(), StartGiven: true, End: meta.Unbounded}
	for want := int64(1); want <= 2; want++ {
		if l, err := tbl.Launch(ctx, id, 500); err != nil || l.Generation != want {
			t.Fatalf("launch %d: generation %d, %v", want, l.Generation, err)
		}
	}
	root := t.TempDir()
	file, err := (dlq.Writer{Root: root}).Write(ctx, dlq.RetryDir, [][]byte{[]byte(`{"message":{}}`)})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name       string
		generation int64
		superseded bool
	}{
		{"superseded launch", 1, true},
		{"current launch", 2, false},
		{"no change stream", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bctx := metrics.SetPTransformID(metrics.SetBundleID(ctx, "bundle"), "step")
			f := &pollRetryFn{Root: root, IntervalMillis: time.Hour.Milliseconds()}
			if tc.generation > 0 {
				f.Fence = changestream.Fence{MetadataDatabase: path, MetadataTable: tbl.Name, Generation: tc.generation}
			}
			if err := f.Setup(bctx); err != nil {
				t.Fatal(err)
			}
			defer f.Teardown()
			rt := f.CreateTracker(f.CreateInitialRestriction(nil))
			var read []string
			cont, err := f.ProcessElement(bctx, &sdf.ManualWatermarkEstimator{}, rt, nil, func(_ beam.EventTime, p string) { read = append(read, p) })
			if err != nil {
				t.Fatalf("poll returned %v, want no error", err)
			}
			if !tc.superseded {
				if !cont.ShouldResume() || len(read) != 1 || read[0] != file {
					t.Errorf("poll: resume %v, read %v; want it to read %s and poll on", cont.ShouldResume(), read, file)
				}
				return
			}
			if cont.ShouldResume() || len(read) != 0 {
				t.Errorf("superseded poll: resume %v, read %v; want it to read nothing and stop", cont.ShouldResume(), read)
			}
			if _, residual, err := rt.TrySplit(0); residual != nil || err != nil {
				t.Errorf("superseded poller left work to resume: residual %v, %v", residual, err)
			}
			var counted int64
			if err := (metrics.Extractor{SumInt64: func(l metrics.Labels, v int64) {
				if l.Namespace() == changestream.SupersededNamespace && l.Name() == changestream.SupersededCounter {
					counted += v
				}
			}}).ExtractFrom(metrics.GetStore(bctx)); err != nil {
				t.Fatal(err)
			}
			if counted != 1 {
				t.Errorf("superseded_errors = %d, want 1", counted)
			}
		})
	}
}
