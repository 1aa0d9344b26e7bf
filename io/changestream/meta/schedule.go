package meta

import "sort"

// Ready returns the CREATED partitions among the unfinished ones whose
// parents have all finished. A child must not start earlier: a key's
// changes move from parent to child, and reading the child first would hand
// the key's newer changes downstream before its older ones. (The shadow
// check downstream would still keep the newest, but every such overtaking
// costs a wasted write.) A parent with no row counts as finished, since only
// finished rows are ever deleted.
func Ready(unfinished []Row) []Partition {
	open := make(map[string]bool, len(unfinished))
	for _, r := range unfinished {
		open[r.Token] = true
	}
	var out []Partition
	for _, r := range unfinished {
		if r.State != StateCreated {
			continue
		}
		ready := true
		for _, p := range r.Parents {
			if open[p] {
				ready = false
				break
			}
		}
		if ready {
			p := r.Partition
			p.Start = r.Watermark // resume where the partition stands
			out = append(out, p)
		}
	}
	return out
}

// Reopen says where a relaunch reads a partition from.
type Reopen struct {
	Token string
	From  int64 // Unix nanoseconds, inclusive
}

// Rewind decides which partitions a relaunch reads, and from where, given
// every stored row and the applied watermark: every change committed before
// applied is in MySQL (or the dead-letter queue); later ones may not be.
//
// A partition holds the changes of [Start, end) where end is its
// children's start. Its changes from applied on may be missing, so it is
// read again from max(Start, applied) unless it finished at or before
// applied. Every partition that is not finished is reopened in any case:
// its reader is gone with the old job. The tree stays consistent: a reopened
// partition's descendants all start after applied, so they are reopened too
// and wait for it again. Re-reading what was applied already is harmless,
// since the shadow tables drop changes that are not newer than MySQL's.
//
// The root (the initial query) holds no changes; once finished, its
// children exist, so it is never read again.
func Rewind(rows []Row, applied int64) []Reopen {
	var out []Reopen
	for _, r := range rows {
		if r.State == StateFinished && (r.Token == RootToken || r.Watermark <= applied) {
			continue
		}
		from := max(r.Start, applied)
		if r.Token == RootToken {
			from = r.Start
		}
		out = append(out, Reopen{Token: r.Token, From: from})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Token < out[j].Token })
	return out
}
