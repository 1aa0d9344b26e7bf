package streamquery_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
	"google.golang.org/api/option"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// BenchmarkRunDecodeEmit reads a partition of realistic records (a
// six-column row each) from the fake server through the real client and
// does per record what the partition reader does before handing it to
// Beam: claim its position on a restriction tracker and keep a copy.
// Server, gRPC and client all run in this process, so with -cpu 1 the
// figure is what one core sustains for the whole path, the server's
// encoding included.
func BenchmarkRunDecodeEmit(b *testing.B) {
	b.Run("codec=fast", func(b *testing.B) { benchRun(b, streamquery.ClientOptions()...) })
	// The client's own protobuf decoding, for comparison.
	b.Run("codec=generic", func(b *testing.B) { benchRun(b) })
}

func benchRun(b *testing.B, opts ...option.ClientOption) {
	const n = 20000
	srv, client := startFakeWith(b, false, opts...)
	script := make([]decode.Item, n)
	for i := range script {
		it := dataItem(time.Duration(i)*time.Microsecond, "Orders", i, fmt.Sprintf("txn-%d", i), 1)
		it.Data.ColumnTypes = append(it.Data.ColumnTypes,
			record.ColumnType{Name: "Amount", TypeJSON: `{"code":"NUMERIC"}`, OrdinalPosition: 3},
			record.ColumnType{Name: "Placed", TypeJSON: `{"code":"TIMESTAMP"}`, OrdinalPosition: 4},
			record.ColumnType{Name: "Paid", TypeJSON: `{"code":"BOOL"}`, OrdinalPosition: 5},
			record.ColumnType{Name: "Note", TypeJSON: `{"code":"STRING"}`, OrdinalPosition: 6})
		it.Data.Mods[0].NewValuesJSON = fmt.Sprintf(`{"Amount":"%d.25","Name":"customer %d","Note":"deliver to the back door","Paid":true,"Placed":"2026-05-06T07:08:09.123456Z"}`, i, i)
		script[i] = it
	}
	srv.SetPartition("p1", script)
	q := streamquery.Query{Stream: "s", Token: "p1", Start: base, End: base.Add(time.Hour), HeartbeatMillis: 1000}
	out := make([]record.DataChangeRecord, 1024)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rt := sdf.NewLockRTracker(offsetrange.NewTracker(offsetrange.Restriction{Start: base.UnixNano(), End: base.Add(time.Hour).UnixNano()}))
		claimed, got := int64(0), 0
		err := q.Run(context.Background(), client, func(it decode.Item) error {
			if pos := it.Position().UnixNano(); pos > claimed {
				if !rt.TryClaim(pos) {
					return fmt.Errorf("claim %d refused", pos)
				}
				claimed = pos
			}
			out[got%len(out)] = *it.Data
			got++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("read %d records, want %d", got, n)
		}
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "records/s")
}
