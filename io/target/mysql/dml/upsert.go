package dml

import (
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Upsert builds one multi-row INSERT ... ON DUPLICATE KEY UPDATE.
//
// Only non-key columns are updated: the Java template also re-assigned the
// key columns, which for a row matched through a secondary unique index would
// rewrite its primary key. When every column is a key column there is nothing
// to update, and a no-op assignment of the first key column keeps a duplicate
// from being an error. Key columns must be among columns; an empty key list
// updates every column.
//
// A row whose values clash with another row on a secondary unique index
// updates that other row: use Upsert only for tables whose sole unique index
// is the primary key, and Insert plus Update for the others.
func Upsert(table string, columns []string, keyColumns []string, rows [][]any) (Statement, error) {
	isKey, err := keySet(columns, keyColumns)
	if err != nil {
		return Statement{}, err
	}
	st, err := Insert(table, columns, rows)
	if err != nil {
		return Statement{}, err
	}
	var b strings.Builder
	b.WriteString(st.SQL)
	b.WriteString(" ON DUPLICATE KEY UPDATE ")
	updated := 0
	for i, c := range columns {
		if isKey[i] {
			continue
		}
		if updated > 0 {
			b.WriteByte(',')
		}
		q := QuoteIdent(c)
		b.WriteString(q + "=VALUES(" + q + ")")
		updated++
	}
	if updated == 0 {
		q := QuoteIdent(keyColumns[0])
		b.WriteString(q + "=" + q)
	}
	st.SQL = b.String()
	return st, nil
}

// Insert builds one plain multi-row INSERT: a row whose key or unique values
// are taken fails the statement with MySQL's duplicate-entry error (1062)
// rather than changing the row that holds them.
func Insert(table string, columns []string, rows [][]any) (Statement, error) {
	if err := checkIdent("table", table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("insert", columns); err != nil {
		return Statement{}, err
	}
	if len(rows) == 0 {
		return Statement{}, errNoRows
	}
	if err := target.CheckParams(len(rows)*len(columns), MaxPlaceholders); err != nil {
		return Statement{}, err
	}

	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(QuoteIdent(table))
	b.WriteString(" (")
	for i, c := range columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteIdent(c))
	}
	b.WriteString(") VALUES ")
	tuple := "(" + strings.Repeat("?,", len(columns)-1) + "?)"
	args := make([]any, 0, len(rows)*len(columns))
	for i, row := range rows {
		if len(row) != len(columns) {
			return Statement{}, fmt.Errorf("dml: row %d has %d values for %d columns", i, len(row), len(columns))
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
		args = append(args, row...)
	}
	return Statement{SQL: b.String(), Args: args}, nil
}

// Update builds UPDATE `t` SET <non-key columns> WHERE <key>, for one row
// given as Upsert takes it (every column, keys included). A nil key value
// is matched with IS NULL. When every column is a key column the statement
// assigns the first key column to itself, so that, on a connection that
// reports found rows (clientFoundRows), its row count still tells whether
// the row exists.
func Update(table string, columns []string, keyColumns []string, row []any) (Statement, error) {
	if err := checkIdent("table", table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("update", columns); err != nil {
		return Statement{}, err
	}
	if len(keyColumns) == 0 {
		return Statement{}, fmt.Errorf("dml: update of table %q without key columns", table)
	}
	isKey, err := keySet(columns, keyColumns)
	if err != nil {
		return Statement{}, err
	}
	if len(row) != len(columns) {
		return Statement{}, fmt.Errorf("dml: row has %d values for %d columns", len(row), len(columns))
	}
	var b strings.Builder
	b.WriteString("UPDATE ")
	b.WriteString(QuoteIdent(table))
	b.WriteString(" SET ")
	args := make([]any, 0, len(columns))
	updated := 0
	for i, c := range columns {
		if isKey[i] {
			continue
		}
		if updated > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteIdent(c) + "=?")
		args = append(args, row[i])
		updated++
	}
	if updated == 0 {
		q := QuoteIdent(keyColumns[0])
		b.WriteString(q + "=" + q)
	}
	b.WriteString(" WHERE ")
	for j, k := range keyColumns {
		if j > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(QuoteIdent(k))
		v := row[columnIndex(columns, k)]
		if target.IsNull(v) {
			b.WriteString(" IS NULL")
			continue
		}
		b.WriteString("=?")
		args = append(args, v)
	}
	return Statement{SQL: b.String(), Args: args}, nil
}

// columnIndex finds k among columns without regard to case (keySet has
// checked that it is there).
func columnIndex(columns []string, k string) int {
	for i, c := range columns {
		if strings.EqualFold(c, k) {
			return i
		}
	}
	return -1
}

// keySet marks which of columns are key columns, matching names without
// regard to case as MySQL does.
func keySet(columns, keyColumns []string) ([]bool, error) {
	isKey := make([]bool, len(columns))
	for _, k := range keyColumns {
		found := false
		for i, c := range columns {
			if strings.EqualFold(c, k) {
				isKey[i], found = true, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("dml: key column %q is not among the columns", k)
		}
	}
	return isKey, nil
}
