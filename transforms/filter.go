package transforms

import (
	"context"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.DoFn3x0[context.Context, record.DataChangeRecord, func(record.DataChangeRecord)](&filterFn{})
	register.Emitter1[record.DataChangeRecord]()
}

// Filtration modes (filtrationMode).
const (
	FilterNone             = "none"
	FilterForwardMigration = "forward_migration"
)

// ForwardMigrationTagPrefix starts the transaction tag of every write made by
// the forward migration (MySQL to Spanner); replicating those back would echo
// them.
const ForwardMigrationTagPrefix = "txBy="

var (
	totalSpannerWrites    = beam.NewCounter("transforms", "total_spanner_writes")
	forwardMigrationDrops = beam.NewCounter("transforms", "fwd_migration_filtered_record_count")
)

// filterFn drops whole transactions written by the forward migration.
type filterFn struct {
	Mode string
}

func (f *filterFn) ProcessElement(ctx context.Context, r record.DataChangeRecord, emit func(record.DataChangeRecord)) {
	n := int64(len(r.Mods))
	totalSpannerWrites.Inc(ctx, n)
	if f.Mode == FilterForwardMigration && strings.HasPrefix(r.TransactionTag, ForwardMigrationTagPrefix) {
		forwardMigrationDrops.Inc(ctx, n)
		return
	}
	emit(r)
}

// Filter applies filtrationMode.
func Filter(s beam.Scope, mode string, col beam.PCollection) beam.PCollection {
	return beam.ParDo(s.Scope("Filtration"), &filterFn{Mode: mode}, col)
}
