package mapping

import (
	"errors"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Read is a read of a record's row from Spanner that mapping the record
// needs, because the change record lacks values.
type Read struct {
	// Columns are the Spanner columns to read.
	Columns []string
	// BeforeCommit reads the row as it was just before the change (a
	// deleted row); otherwise as the change left it.
	BeforeCommit bool
}

// NeedsRead says whether r, whose keys and new values are v, must be completed from Spanner before ToSource:
//
//   - a DELETE whose NEW_ROW record carries only the key, when the source
//     key needs other columns (or when allDeletes: a custom transformation
//     or shard routing wants the whole deleted row): every non-key column,
//     just before the commit;
//   - an INSERT or UPDATE of a table with Spanner generated columns that
//     feed source columns, since change records leave generated columns
//     out: those columns, at the commit.
//
// Values already in the record are not read again, so a record completed
// once (and, say, written to the dead-letter queue) needs no second read.
func (m *Mapper) NeedsRead(r record.Record, v record.Values, allDeletes bool) (Read, bool) {
	p, err := m.plan(r.TableName)
	if err != nil || p.err != nil {
		return Read{}, false // ToSource reports why
	}
	vals := v.New
	if r.ModType == record.ModDelete {
		if len(vals) > 0 || !(allDeletes || p.deleteNeedsRow) {
			return Read{}, false
		}
		isKey := map[string]bool{}
		for _, k := range p.spanner.PrimaryKey {
			isKey[k.Column] = true
		}
		var cols []string
		for _, c := range p.spanner.Columns {
			if !isKey[c.Name] {
				cols = append(cols, c.Name)
			}
		}
		return Read{Columns: cols, BeforeCommit: true}, len(cols) > 0
	}
	var missing []string
	for _, c := range p.generated {
		if _, ok := vals[c]; !ok {
			missing = append(missing, c)
		}
	}
	return Read{Columns: missing}, len(missing) > 0
}

func isNotAtSource(err error) bool { return errors.Is(err, ErrTableNotAtSource) }

// ReadsSpanner reports whether some table's changes need reads from
// Spanner (NeedsRead with allDeletes false), so that a writer connects to
// the change stream's database only when it must.
func (m *Mapper) ReadsSpanner() bool {
	m.once.Do(m.compile)
	for _, p := range m.plans {
		if p.err == nil && (p.deleteNeedsRow || len(p.generated) > 0) {
			return true
		}
	}
	return false
}
