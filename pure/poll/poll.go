// Package poll holds the splittable-DoFn plumbing shared by the pipeline's
// pollers: DoFns that start from one impulse and run until they decide to
// stop, resuming themselves between polls (the change stream's partition
// discovery, the DLQ retry directory). The restriction is an unbounded
// offset range that is never split: a poller claims its next position at
// every poll, and the runner only ever checkpoints it.
package poll

import (
	"math"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
)

// Impulse supplies the restriction and watermark methods of a poller whose
// element is the impulse's []byte. Embed it in the DoFn struct; the DoFn
// adds ProcessElement (and Setup/Teardown as it needs).
type Impulse struct{}

func (Impulse) CreateInitialRestriction(_ []byte) offsetrange.Restriction {
	return offsetrange.Restriction{Start: 0, End: math.MaxInt64}
}

// SplitRestriction keeps the restriction whole: one poller per impulse.
func (Impulse) SplitRestriction(_ []byte, rest offsetrange.Restriction) []offsetrange.Restriction {
	return []offsetrange.Restriction{rest}
}

func (Impulse) RestrictionSize(_ []byte, _ offsetrange.Restriction) float64 { return 1 }

func (Impulse) CreateTracker(rest offsetrange.Restriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(offsetrange.NewTracker(rest))
}

// TruncateRestriction ends a poller when a streaming job is drained.
func (Impulse) TruncateRestriction(_ *sdf.LockRTracker, _ []byte) offsetrange.Restriction {
	return offsetrange.Restriction{}
}

// CreateWatermarkEstimator gives the poller a manual estimator: it alone
// knows how far its output is complete.
func (Impulse) CreateWatermarkEstimator() *sdf.ManualWatermarkEstimator {
	return &sdf.ManualWatermarkEstimator{}
}
