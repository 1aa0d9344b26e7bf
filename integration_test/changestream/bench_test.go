package changestream_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.Function1x0[record.DataChangeRecord](discard)
}

func discard(record.DataChangeRecord) {}

// BenchmarkPipelineRead runs the whole source on prism over partitions of
// the fake server holding n records each, so that the figure includes
// Beam's encoding and the runner: records/s for the pipeline as a whole on
// this machine (metadata in the emulator).
func BenchmarkPipelineRead(b *testing.B) {
	const perPartition = 50000
	emu := testenv.Spanner(b)
	srv, err := fakespanner.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	end := t0.Add(10 * time.Minute)
	srv.SetPartition("", []decode.Item{{ChildrenStart: t0, Children: []decode.ChildPartition{{Token: "a"}, {Token: "b"}}}})
	for _, tok := range []string{"a", "b"} {
		items := make([]decode.Item, 0, perPartition+1)
		for i := 0; i < perPartition; i++ {
			items = append(items, decode.Item{Data: fakeRecord(tok, t0.Add(time.Duration(i)*time.Millisecond), fmt.Sprint(tok, i), i)})
		}
		srv.SetPartition(tok, append(items, decode.Item{Heartbeat: end}))
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		metaID := uniqueID("benchmeta")
		testenv.CreateDatabase(b, emu, metaID, false, nil)
		cfg := changestream.Config{
			Database: "projects/p/instances/i/databases/d", Stream: "s", DataEndpoint: srv.Addr,
			MetadataDatabase: emu.DatabasePath(metaID), MetadataTable: "Metadata_bench",
			HeartbeatMillis: 1000, QueryWindowMillis: 2000, PollMillis: 100, EndNanos: end.UnixNano(),
		}
		launchB(b, &cfg, t0)
		p, s := beam.NewPipelineWithRoot()
		beam.ParDo0(s, discard, changestream.Read(s, cfg))
		res, err := ptest.RunWithMetrics(p)
		if err != nil {
			b.Fatal(err)
		}
		if n := counter(res, "records_read"); n != 2*perPartition {
			b.Fatalf("read %d records, want %d", n, 2*perPartition)
		}
	}
	b.ReportMetric(float64(b.N*2*perPartition)/time.Since(start).Seconds(), "records/s")
}
