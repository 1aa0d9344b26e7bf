package dml

import (
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// The unique path's swap fallback deletes rows and inserts them again
// (io/target/postgresql/unique.go). A change carries only the columns
// Spanner has; the table's other columns must come back with the values
// they held, not their defaults. The row is read before the delete as its
// row-type text ((x.*)::text: what record_out prints, which record_in reads
// back field by field with each column's own input function), and the
// insert takes the kept columns from that text, so no column's type has to
// be known here.

// oldRowAlias names the table in LockRowText; whole-row references go
// through "alias".* so that a column of the same name cannot shadow it.
const oldRowAlias = `"revrepl_old"`

// LockRowText builds SELECT ("x".*)::text FROM t AS "x" WHERE k1=$1 AND
// ... FOR UPDATE: the row of one primary key as its row-type text, locked.
func LockRowText(namespace, table string, keyCols []string) (string, error) {
	if err := checkTable(namespace, table); err != nil {
		return "", err
	}
	if err := checkColumns("key", keyCols); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("SELECT (" + oldRowAlias + ".*)::text FROM ")
	b.WriteString(Table(namespace, table))
	b.WriteString(" AS " + oldRowAlias + " WHERE ")
	for j, k := range keyCols {
		if j > 0 {
			b.WriteString(" AND ")
		}
		fmt.Fprintf(&b, "%s.%s=$%d", oldRowAlias, QuoteIdent(k), j+1)
	}
	b.WriteString(" FOR UPDATE")
	return b.String(), nil
}

// InsertKeeping builds INSERT INTO t (cols..., keep...) OVERRIDING SYSTEM
// VALUE VALUES ($1, ..., ($n::"ns"."t")."keep1", ...): one row with the
// values of cols and, for the columns keep, the fields of oldRow, the
// row-type text LockRowText read.
func InsertKeeping(namespace, table string, cols []string, row []any, keep []string, oldRow string) (Statement, error) {
	if len(keep) == 0 {
		return Insert(namespace, table, cols, [][]any{row})
	}
	if err := checkTable(namespace, table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("insert", append(append([]string(nil), cols...), keep...)); err != nil {
		return Statement{}, err
	}
	if len(row) != len(cols) {
		return Statement{}, fmt.Errorf("dml: %d values for %d columns", len(row), len(cols))
	}
	if err := target.CheckParams(len(row)+1, MaxParams); err != nil {
		return Statement{}, err
	}
	var b strings.Builder
	p := params{b: &b}
	b.WriteString("INSERT INTO ")
	b.WriteString(Table(namespace, table))
	b.WriteString(" (")
	writeList(&b, cols)
	b.WriteByte(',')
	writeList(&b, keep)
	b.WriteString(") OVERRIDING SYSTEM VALUE VALUES (")
	for i, v := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		p.bind(v)
	}
	old := fmt.Sprintf("$%d", len(row)+1)
	for _, k := range keep {
		fmt.Fprintf(&b, ",(%s::%s).%s", old, Table(namespace, table), QuoteIdent(k))
	}
	b.WriteByte(')')
	return Statement{SQL: b.String(), Args: append(p.args, oldRow)}, nil
}
