package streamquery

import "time"

// Backoff spaces out retries: Base after the first failure, doubling up to
// Max. Retrying at a fixed pace would keep hammering a server that is
// overloaded, and a long fixed pause would stall every short blip.
type Backoff struct {
	Base, Max time.Duration
}

// DefaultBackoff suits Spanner's transient errors: quick first retries, at
// most one attempt every 30 s when an outage lasts.
var DefaultBackoff = Backoff{Base: 100 * time.Millisecond, Max: 30 * time.Second}

// Delay is the pause before retry number attempt (1 = the first retry).
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}
