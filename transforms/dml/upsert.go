package dml

import (
	"fmt"
	"strings"
)

// Upsert builds one multi-row INSERT ... ON DUPLICATE KEY UPDATE.
//
// Only non-key columns are updated: the Java template also re-assigned the
// key columns, which for a row matched through a secondary unique index would
// rewrite its primary key. When every column is a key column there is nothing
// to update, and a no-op assignment of the first key column keeps a duplicate
// from being an error. Key columns must be among columns; an empty key list
// updates every column.
func Upsert(table string, columns []string, keyColumns []string, rows [][]any) (Statement, error) {
	if err := checkIdent("table", table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("insert", columns); err != nil {
		return Statement{}, err
	}
	isKey, err := keySet(columns, keyColumns)
	if err != nil {
		return Statement{}, err
	}
	if len(rows) == 0 {
		return Statement{}, errNoRows
	}
	if n := len(rows) * len(columns); n > MaxPlaceholders {
		return Statement{}, fmt.Errorf("dml: %d parameters exceed %d; split the batch", n, MaxPlaceholders)
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
	return Statement{SQL: b.String(), Args: args}, nil
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
