package verify

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Mismatch is one line of the mismatches file (JSON Lines).
type Mismatch struct {
	Shard   string  `json:"shard"`
	Table   string  `json:"table"`
	Key     []Value `json:"key"`
	Outcome Outcome `json:"outcome"`
	// Columns are the columns that differ (Different only).
	Columns []Diff `json:"columns,omitempty"`
	// SpannerTable names the Spanner table the row comes from, when known.
	SpannerTable string `json:"spannerTable,omitempty"`
	// Rechecked: the key first looked in flight and still differed when
	// read again.
	Rechecked bool `json:"rechecked,omitempty"`
	// SpannerKeys name the Spanner rows that share the target key, each
	// as its table and key JSON separated by a space (Ambiguous only).
	SpannerKeys []string `json:"spannerKeys,omitempty"`
	// TargetRows is how many target rows the key matched (Ambiguous only).
	TargetRows int `json:"targetRows,omitempty"`
}

// Line is the mismatch as a JSON line (without the newline).
func (m Mismatch) Line() []byte {
	b, _ := json.Marshal(m)
	return b
}

// Transaction tags of the repair records runMode=verify writes to retry/
// (verifyRepair). Both keep the shard the verification found the key in
// (shard assignment does not route them again). A StrayTag delete removes
// a row from a shard its key is not routed to; it writes no shadow row and
// is dropped as stale only when the key's shadow row is strictly newer
// (io/shadow/apply).
const (
	RepairTag = "revrepl-verify-repair"
	StrayTag  = "revrepl-verify-stray"
)

// Count names one counter of the summary: a table of a shard and what its
// keys (or rows) were.
type Count struct {
	Table string `json:"table"`
	Shard string `json:"shard"`
	// Kind is an Outcome, or one of the kinds below.
	Kind string `json:"kind"`
}

// Summary kinds besides the outcomes.
const (
	// Filtered rows were dropped by the custom transformation: the
	// writer writes nothing for them, so neither is anything compared.
	Filtered = "filtered"
	// SkippedRows are Spanner rows the writer sends to the skip
	// directory (their shard id is the skip directory name).
	SkippedRows = "skipped_rows"
	// SkippedTable counts Spanner tables that do not replicate (no table
	// at the source, or the session file leaves them out); Shard is "".
	SkippedTable = "skipped_table"
	// Unmappable are Spanner rows the writer could not map (they go to
	// severe/ in the regular job): reported as mismatches too.
	Unmappable = "unmappable"
)

// String is the counter's grouping key.
func (c Count) String() string {
	b, _ := json.Marshal([]string{c.Table, c.Shard, c.Kind})
	return string(b)
}

// ParseCount reverses Count.String.
func ParseCount(s string) (Count, error) {
	var p []string
	if err := json.Unmarshal([]byte(s), &p); err != nil || len(p) != 3 {
		return Count{}, fmt.Errorf("%.200s is not a verification counter", s)
	}
	return Count{Table: p[0], Shard: p[1], Kind: p[2]}, nil
}

// TableSummary is one summary line: a table of a shard and its counts.
type TableSummary struct {
	Table  string           `json:"table"`
	Shard  string           `json:"shard,omitempty"`
	Counts map[string]int64 `json:"counts"`
}

// Summarize groups counters into one line per table and shard, in name
// order, and totals the mismatches (missing, extra, different, ambiguous
// and unmappable rows).
func Summarize(counts map[Count]int64) ([]TableSummary, int64) {
	type ts struct{ table, shard string }
	lines := map[ts]*TableSummary{}
	var mismatches int64
	for c, n := range counts {
		k := ts{c.Table, c.Shard}
		l, ok := lines[k]
		if !ok {
			l = &TableSummary{Table: c.Table, Shard: c.Shard, Counts: map[string]int64{}}
			lines[k] = l
		}
		l.Counts[c.Kind] += n
		if Outcome(c.Kind).Counted() || c.Kind == Unmappable {
			mismatches += n
		}
	}
	out := make([]TableSummary, 0, len(lines))
	for _, l := range lines {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Shard < out[j].Shard
	})
	return out, mismatches
}

// Line renders a summary line as JSON.
func (s TableSummary) Line() []byte {
	b, _ := json.Marshal(s)
	return b
}

// FinalLine is the last line of a verification's output.
func FinalLine(mismatches int64) string { return fmt.Sprintf("mismatches: %d", mismatches) }
