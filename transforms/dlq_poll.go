package transforms

import (
	"maps"
	"math"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*retryRestriction)(nil)).Elem())
}

// retryRestriction is the retry/ poller's restriction: poll.Impulse's
// count of polls, plus the files the poller has handed out and not yet
// seen deleted. Kept in the restriction, that set goes with every
// checkpoint, so a poll resumed by another DoFn instance or on another
// worker does not read a file again while its records are in flight
// (which would put those failing again into retry/ twice).
type retryRestriction struct {
	Start, End int64
	// Emitted maps a file to when it was handed out (Unix milliseconds).
	Emitted map[string]int64
}

// retryTracker tracks the polls as offsetrange does and carries the
// emitted set into both halves of every split.
type retryTracker struct {
	*offsetrange.Tracker
	emitted map[string]int64
}

func (t *retryTracker) GetRestriction() any {
	return t.withEmitted(t.Tracker.GetRestriction())
}

func (t *retryTracker) TrySplit(fraction float64) (primary, residual any, err error) {
	p, r, err := t.Tracker.TrySplit(fraction)
	if err != nil {
		return nil, nil, err
	}
	return t.withEmitted(p), t.withEmitted(r), nil
}

func (t *retryTracker) withEmitted(rest any) any {
	if rest == nil {
		return nil
	}
	r := rest.(offsetrange.Restriction)
	return retryRestriction{Start: r.Start, End: r.End, Emitted: maps.Clone(t.emitted)}
}

// emittedSet returns the tracker's set of emitted files, to read and
// change under rt's lock.
func emittedSet(rt *sdf.LockRTracker) map[string]int64 {
	t := rt.Rt.(*retryTracker)
	if t.emitted == nil {
		t.emitted = map[string]int64{}
	}
	return t.emitted
}

// The restriction methods of pollRetryFn: those of poll.Impulse, for
// retryRestriction.

func (*pollRetryFn) CreateInitialRestriction(_ []byte) retryRestriction {
	return retryRestriction{Start: 0, End: math.MaxInt64}
}

// SplitRestriction keeps the restriction whole: one poller.
func (*pollRetryFn) SplitRestriction(_ []byte, rest retryRestriction) []retryRestriction {
	return []retryRestriction{rest}
}

func (*pollRetryFn) RestrictionSize(_ []byte, _ retryRestriction) float64 { return 1 }

func (*pollRetryFn) CreateTracker(rest retryRestriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(&retryTracker{
		Tracker: offsetrange.NewTracker(offsetrange.Restriction{Start: rest.Start, End: rest.End}),
		emitted: maps.Clone(rest.Emitted),
	})
}

// TruncateRestriction ends the poller when a streaming job is drained.
func (*pollRetryFn) TruncateRestriction(_ *sdf.LockRTracker, _ []byte) retryRestriction {
	return retryRestriction{}
}
