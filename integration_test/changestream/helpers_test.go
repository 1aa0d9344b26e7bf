package changestream_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.DoFn1x0[record.DataChangeRecord](&collectFn{})
}

// Prism runs the workers in this process, so a DoFn can hand what it sees
// to the test through a package-level map.
var (
	collectedMu sync.Mutex
	collected   = map[string][]record.DataChangeRecord{}
)

// collectFn records every element it sees under Run.
type collectFn struct{ Run string }

func (f *collectFn) ProcessElement(r record.DataChangeRecord) {
	collectedMu.Lock()
	defer collectedMu.Unlock()
	collected[f.Run] = append(collected[f.Run], r)
}

func takeCollected(run string) []record.DataChangeRecord {
	collectedMu.Lock()
	defer collectedMu.Unlock()
	out := collected[run]
	delete(collected, run)
	return out
}

var seq atomic.Int64

// uniqueID names a database or run uniquely within this test process.
func uniqueID(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1e8, seq.Add(1))
}

// launch prepares the metadata table for a read of cfg from start.
func launch(t *testing.T, cfg *changestream.Config, start time.Time, startGiven bool) meta.Launched {
	t.Helper()
	return launchTB(t, cfg, start, startGiven)
}

func launchB(b *testing.B, cfg *changestream.Config, start time.Time) { launchTB(b, cfg, start, true) }

func launchTB(t testing.TB, cfg *changestream.Config, start time.Time, startGiven bool) meta.Launched {
	t.Helper()
	ctx := context.Background()
	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	l, err := changestream.Launch(ctx, admin, cfg, start, startGiven)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	return l
}

// readPipeline is the change-stream source feeding a collector.
func readPipeline(cfg changestream.Config, run string) *beam.Pipeline {
	p, s := beam.NewPipelineWithRoot()
	beam.ParDo0(s, &collectFn{Run: run}, changestream.Read(s, cfg))
	return p
}

func metaTable(t *testing.T, cfg changestream.Config) meta.Table {
	t.Helper()
	c, err := spanner.NewClient(context.Background(), cfg.MetadataDatabase)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return meta.Table{Client: c, Name: cfg.MetadataTable, Postgres: cfg.MetadataPostgres}
}

// counter sums a counter of namespace changestream over all steps.
func counter(res beam.PipelineResult, name string) int64 {
	var n int64
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Key.Namespace == "changestream" && c.Key.Name == name {
			n += c.Result()
		}
	}
	return n
}
