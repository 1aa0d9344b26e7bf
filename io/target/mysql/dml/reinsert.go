package dml

import (
	"fmt"
	"strings"
)

// The unique path's swap fallback deletes rows and inserts them again
// (io/target/mysql/unique.go). A change carries only the columns Spanner
// has; the table's other columns must come back with the values they held,
// not their defaults. Before the delete the row is locked and those
// columns are copied into session user variables, which hold a value as
// the server has it (integer, decimal, double, binary or character string)
// without a trip through the client; the insert takes them back from the
// variables, so no column's type has to be known here.

// KeptVar names the user variable holding kept column j of row i.
func KeptVar(i, j int) string { return fmt.Sprintf("@revrepl_keep_%d_%d", i, j) }

// keyWhere writes WHERE `k1`=? AND ... (primary-key columns are never NULL).
func keyWhere(b *strings.Builder, keyCols []string) {
	b.WriteString(" WHERE ")
	for j, k := range keyCols {
		if j > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(QuoteIdent(k) + "=?")
	}
}

// LockRow builds SELECT COUNT(*) FROM `t` WHERE <key> FOR UPDATE: whether
// the row of one primary key exists, locked until the transaction ends.
func LockRow(table string, keyCols []string) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	if err := checkColumns("key", keyCols); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("SELECT COUNT(*) FROM " + QuoteIdent(table))
	keyWhere(&b, keyCols)
	b.WriteString(" FOR UPDATE")
	return b.String(), nil
}

// KeepInto builds SELECT `c1`,... INTO KeptVar(row,0),... FROM `t` WHERE
// <key>: the kept columns of one row copied into user variables.
func KeepInto(table string, keep, keyCols []string, row int) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	if err := checkColumns("kept", keep); err != nil {
		return "", err
	}
	if err := checkColumns("key", keyCols); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for j, c := range keep {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteIdent(c))
	}
	b.WriteString(" INTO ")
	for j := range keep {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(KeptVar(row, j))
	}
	b.WriteString(" FROM " + QuoteIdent(table))
	keyWhere(&b, keyCols)
	return b.String(), nil
}

// InsertKeeping builds INSERT INTO `t` (columns..., keep...) VALUES
// (?,..., KeptVar(row,0),...): one row with its values and, for the kept
// columns, the values KeepInto copied.
func InsertKeeping(table string, columns []string, values []any, keep []string, row int) (Statement, error) {
	if len(keep) == 0 {
		return Insert(table, columns, [][]any{values})
	}
	st, err := Insert(table, append(append([]string(nil), columns...), keep...), [][]any{make([]any, len(columns)+len(keep))})
	if err != nil {
		return Statement{}, err
	}
	if len(values) != len(columns) {
		return Statement{}, fmt.Errorf("dml: %d values for %d columns", len(values), len(columns))
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(st.SQL, "("+strings.Repeat("?,", len(columns)+len(keep)-1)+"?)"))
	b.WriteString("(" + strings.Repeat("?,", len(columns)))
	for j := range keep {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(KeptVar(row, j))
	}
	b.WriteByte(')')
	return Statement{SQL: b.String(), Args: append([]any(nil), values...)}, nil
}
