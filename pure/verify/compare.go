package verify

import (
	"errors"
	"fmt"
)

// Outcome is what one key of the join is.
type Outcome string

// The outcomes of a key. InFlight is not a comparison's result: it is a
// difference explained by a change still being applied (see Settle).
const (
	Equal     Outcome = "equal"
	Missing   Outcome = "missing"   // in Spanner, not in the target
	Extra     Outcome = "extra"     // in the target, not in Spanner
	Different Outcome = "different" // in both, some column differs
	InFlight  Outcome = "in_flight"
	// Ambiguous: more than one Spanner row (or more than one target row)
	// maps to one target key, e.g. Spanner keys "a" and "a " on a CHAR
	// key, or two Spanner tables written to one source table. The target
	// can hold at most one of them, so the key is never equal; it is a
	// mismatch that no repair can fix (the mapping collapses the keys).
	Ambiguous Outcome = "ambiguous"
)

// Mismatched reports whether o is a difference between the two sides that
// a change in flight may explain (see Settle). Ambiguous is a mismatch too
// but not one of these: see Counted.
func (o Outcome) Mismatched() bool { return o == Missing || o == Extra || o == Different }

// Counted reports whether o counts in the run's mismatches total.
func (o Outcome) Counted() bool { return o.Mismatched() || o == Ambiguous }

// Diff is one column that differs, with both values.
type Diff struct {
	Column  string `json:"column"`
	Spanner Value  `json:"spanner"`
	Target  Value  `json:"target"`
}

// Compare compares the row the writer would write (want, nil when Spanner
// has no such row) with the target's (got, nil when it has none). Only the
// columns of want are compared: the writer writes no others, so the
// target's other columns (defaults, generated columns, columns Spanner
// lacks) are the target's own.
func Compare(want, got *Row) (Outcome, []Diff) {
	switch {
	case want == nil && got == nil:
		return Equal, nil
	case want == nil:
		return Extra, nil
	case got == nil:
		return Missing, nil
	}
	var diffs []Diff
	for i, c := range want.Columns {
		w := want.Values[i]
		g, ok := got.Get(c)
		if !ok {
			// The target lacks a written column: its schema changed
			// since the writer mapped the row.
			diffs = append(diffs, Diff{Column: c, Spanner: w, Target: Null})
			continue
		}
		if w != g {
			diffs = append(diffs, Diff{Column: c, Spanner: w, Target: g})
		}
	}
	if len(diffs) > 0 {
		return Different, diffs
	}
	return Equal, nil
}

// Settle decides whether a difference found at read timestamp T may be a
// change still on its way to the target rather than a real one. It may
// when the target already holds a change committed after T (shadowAfter:
// the key's shadow row is newer than T), or when the regular job's applied
// watermark has not passed T (watermarkBefore: changes committed before T
// may not be applied yet). Such a key is checked again later; the others
// are mismatches now.
func Settle(o Outcome, shadowAfter, watermarkBefore bool) Outcome {
	if o.Mismatched() && (shadowAfter || watermarkBefore) {
		return InFlight
	}
	return o
}

func errBadKey(s string) error {
	return fmt.Errorf("%.200s: %w", s, ErrBadKey)
}

// ErrBadKey is a grouping key that Key.String did not produce.
var ErrBadKey = errors.New("not a verification key")
