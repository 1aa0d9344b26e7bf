package changestream

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
)

// checkpointTracker is an offset-range tracker that takes checkpoints but
// refuses to split the range still to be read. Reading a partition's
// future in two places at once would have two readers storing positions
// for one partition, the later one ahead of records the earlier one has
// yet to emit; positions must never pass an unemitted record (see
// readFn.holdWatermark and TrackApplied). A checkpoint (fraction 0) leaves
// the rest of the range to a single residual, which starts after the
// claimed position, once this reader has stopped claiming.
type checkpointTracker struct {
	*offsetrange.Tracker
}

func (t checkpointTracker) TrySplit(fraction float64) (primary, residual any, err error) {
	if fraction > 0 {
		return t.GetRestriction(), nil, nil
	}
	return t.Tracker.TrySplit(fraction)
}
