package transforms

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.Function1x1(tagOf)
}

func tagOf(r record.DataChangeRecord) string { return r.TransactionTag }

// TestFilter runs the filtration stage on prism: forward_migration drops
// whole transactions tagged txBy= (the prefix only, case-sensitive), none
// keeps everything, and both count every mod read.
func TestFilter(t *testing.T) {
	in := []record.DataChangeRecord{
		{TableName: "A", TransactionTag: "", Mods: make([]record.ModJSON, 2)},
		{TableName: "A", TransactionTag: "txBy=job-123", Mods: make([]record.ModJSON, 3)},
		{TableName: "B", TransactionTag: "txBy=", Mods: make([]record.ModJSON, 1)},
		{TableName: "B", TransactionTag: "app=txBy=", Mods: make([]record.ModJSON, 1)},
		{TableName: "B", TransactionTag: "TXBY=job", Mods: make([]record.ModJSON, 1)},
	}
	tests := []struct {
		mode     string
		wantTags []any
		dropped  int64
	}{
		{FilterForwardMigration, []any{"", "app=txBy=", "TXBY=job"}, 4},
		{FilterNone, []any{"", "txBy=job-123", "txBy=", "app=txBy=", "TXBY=job"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			p, s := beam.NewPipelineWithRoot()
			col := beam.CreateList(s, in)
			kept := Filter(s, tt.mode, col)
			passert.Equals(s, beam.ParDo(s, tagOf, kept), tt.wantTags...)
			pr, err := ptest.RunWithMetrics(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := counter(pr, "total_spanner_writes"); got != 8 {
				t.Errorf("total_spanner_writes = %d, want 8", got)
			}
			if got := counter(pr, "fwd_migration_filtered_record_count"); got != tt.dropped {
				t.Errorf("fwd_migration_filtered_record_count = %d, want %d", got, tt.dropped)
			}
		})
	}
}

func counter(pr beam.PipelineResult, name string) int64 {
	var sum int64
	for _, c := range pr.Metrics().Query(func(r metrics.SingleResult) bool { return r.Name() == name }).Counters() {
		sum += c.Result()
	}
	return sum
}
