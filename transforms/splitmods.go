package transforms

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.Function2x0(splitMods)
	register.Emitter1[record.Record]()
}

func splitMods(r record.DataChangeRecord, emit func(record.Record)) {
	for _, rec := range record.Records(r) {
		emit(rec)
	}
}

// SplitMods emits one record per modified row.
func SplitMods(s beam.Scope, col beam.PCollection) beam.PCollection {
	return beam.ParDo(s.Scope("Preprocess"), splitMods, col)
}
