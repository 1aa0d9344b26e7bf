package dml

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
)

// Delete builds DELETE FROM `t` WHERE (`k1`=? AND `k2`=?) OR (...), one
// parenthesised group per key. A NULL key value becomes `k` IS NULL with no
// parameter, because `k`=NULL never matches (the Java template's "= null"
// silently deleted nothing). NULL is nil, a nil pointer, or a typed null
// such as sql.NullString{} (a driver.Valuer whose value is nil).
func Delete(table string, keyColumns []string, keys [][]any) (Statement, error) {
	if err := checkIdent("table", table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("key", keyColumns); err != nil {
		return Statement{}, err
	}
	if len(keys) == 0 {
		return Statement{}, errNoRows
	}
	if n := len(keys) * len(keyColumns); n > MaxPlaceholders {
		return Statement{}, fmt.Errorf("dml: %d parameters exceed %d; split the batch", n, MaxPlaceholders)
	}
	quoted := make([]string, len(keyColumns))
	for i, k := range keyColumns {
		quoted[i] = QuoteIdent(k)
	}

	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(QuoteIdent(table))
	b.WriteString(" WHERE ")
	args := make([]any, 0, len(keys)*len(keyColumns))
	for i, key := range keys {
		if len(key) != len(keyColumns) {
			return Statement{}, fmt.Errorf("dml: key %d has %d values for %d key columns", i, len(key), len(keyColumns))
		}
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for j, v := range key {
			if j > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(quoted[j])
			if isNull(v) {
				b.WriteString(" IS NULL")
				continue
			}
			b.WriteString("=?")
			args = append(args, v)
		}
		b.WriteByte(')')
	}
	return Statement{SQL: b.String(), Args: args}, nil
}

// isNull reports whether v binds as SQL NULL.
func isNull(v any) bool {
	if v == nil {
		return true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return true
	}
	if vl, ok := v.(driver.Valuer); ok {
		dv, err := vl.Value()
		return err == nil && dv == nil
	}
	return false
}
