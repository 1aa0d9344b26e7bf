// Package newer decides which changes of a batch to apply: for every primary
// key only the newest change, and only when it is newer than the version the
// shadow table says was applied. It is pure so the rule that guards against
// lost or reordered writes can be tested exhaustively on its own.
package newer

import "github.com/revrepl/spanner-to-sourcedb/pure/record"

// Version orders the changes of one primary key: commit timestamp first,
// then record sequence within a timestamp.
type Version struct {
	CommitTs record.Timestamp
	Seq      int64
}

// After reports whether v is strictly newer than o.
func (v Version) After(o Version) bool {
	if c := v.CommitTs.Compare(o.CommitTs); c != 0 {
		return c > 0
	}
	return v.Seq > o.Seq
}

// Change is one candidate change of a batch.
type Change struct {
	Key     string // the primary key, in a canonical form (table included)
	Version Version
}

// Decision lists, by index into the batch, what to apply and what to skip.
type Decision struct {
	// Apply holds one index per key: the newest change, newer than stored.
	Apply []int
	// Superseded are changes replaced by a newer change of the same key in
	// the batch; Stale are changes not newer than the stored version
	// (duplicates and late arrivals).
	Superseded, Stale []int
}

// Decide applies the rule. stored maps a key to the version already applied;
// a key absent from stored has never been applied.
func Decide(batch []Change, stored map[string]Version) Decision {
	newest := make(map[string]int, len(batch))
	d := Decision{Apply: make([]int, 0, len(batch))}
	for i, c := range batch {
		if s, ok := stored[c.Key]; ok && !c.Version.After(s) {
			d.Stale = append(d.Stale, i)
			continue
		}
		j, seen := newest[c.Key]
		switch {
		case !seen:
			newest[c.Key] = i
		case c.Version.After(batch[j].Version):
			d.Superseded = append(d.Superseded, j)
			newest[c.Key] = i
		default:
			d.Superseded = append(d.Superseded, i)
		}
	}
	for i, c := range batch {
		if j, ok := newest[c.Key]; ok && j == i {
			d.Apply = append(d.Apply, i)
		}
	}
	return d
}
