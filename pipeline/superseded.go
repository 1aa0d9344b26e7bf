package pipeline

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
)

// SupersededCounter names the counter of job parts stopped because a later
// launch took the partition metadata table.
const SupersededCounter = changestream.SupersededCounter

// Superseded is the job's count of parts stopped as superseded, 0 when the
// runner reports no metrics (a dry run, or a job still running remotely).
func Superseded(result beam.PipelineResult) int64 {
	if result == nil {
		return 0
	}
	var n int64
	for _, c := range result.Metrics().AllMetrics().Counters() {
		if c.Namespace() == changestream.SupersededNamespace && c.Name() == changestream.SupersededCounter {
			n += c.Result()
		}
	}
	return n
}
