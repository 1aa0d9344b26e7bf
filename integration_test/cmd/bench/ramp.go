package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The ramp: end-to-end runs at rising rates, each --duration long on a
// pipeline, Spanner database and keys of its own. max_rate is the highest
// rate sustained. The ramp stops after rampMisses rates in a row were not
// sustained: above them a higher rate only adds load, and on a shared
// machine one run can miss by noise alone (the next, higher, rate then
// still has its chance).

// rampMisses is how many rates in a row not sustained end the ramp.
const rampMisses = 2

// Sustained: what a run must show to count as kept up.
const (
	maxP99Lag        = 5.0  // seconds
	minCommittedFrac = 0.95 // of the rows asked
)

// sustained tells whether a run at rate for d kept up: every committed
// change was applied, the 99th percentile of the lag is under maxP99Lag,
// and the generator committed at least minCommittedFrac of what was asked
// (a generator that could not commit the rate proves nothing about it).
func sustained(r e2eResult, rate int, d time.Duration) bool {
	return r.committed > 0 && r.applied == r.committed && r.p99 < maxP99Lag &&
		float64(r.committed) >= minCommittedFrac*float64(rate)*d.Seconds()
}

// parseRamp reads --ramp: rates in changes per second, comma separated,
// returned in ascending order without repeats.
func parseRamp(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		r, err := strconv.Atoi(f)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("--ramp %q: %q is not a positive number of changes per second", s, f)
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--ramp %q: no rate (use --skip_ramp to skip the ramp)", s)
	}
	sort.Ints(out)
	return out, nil
}

// ramp runs the rates in order through run, which reports whether the
// rate was sustained, until rampMisses in a row were not. It returns the
// highest rate sustained (0 when none was).
func ramp(rates []int, run func(rate int) (bool, error)) (int, error) {
	best, misses := 0, 0
	for _, r := range rates {
		ok, err := run(r)
		if err != nil {
			return best, fmt.Errorf("ramp step %d changes/s: %w", r, err)
		}
		if ok {
			best, misses = r, 0
			continue
		}
		if misses++; misses == rampMisses {
			break
		}
	}
	return best, nil
}
