package dml

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
)

// Delete builds DELETE FROM "ns"."t" WHERE ("k1"=$1 AND "k2"=$2) OR (...),
// one parenthesised group per key. A NULL key value becomes "k" IS NULL
// with no parameter, because "k"=NULL never matches. NULL is nil, a nil
// pointer, or a typed null (a driver.Valuer whose value is nil).
func Delete(namespace, table string, keyColumns []string, keys [][]any) (Statement, error) {
	if err := checkTable(namespace, table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("key", keyColumns); err != nil {
		return Statement{}, err
	}
	if len(keys) == 0 {
		return Statement{}, errNoRows
	}
	if n := len(keys) * len(keyColumns); n > MaxParams {
		return Statement{}, fmt.Errorf("dml: %d parameters exceed %d; split the batch", n, MaxParams)
	}
	quoted := make([]string, len(keyColumns))
	for i, k := range keyColumns {
		quoted[i] = QuoteIdent(k)
	}
	var b strings.Builder
	p := params{b: &b, args: make([]any, 0, len(keys)*len(keyColumns))}
	b.WriteString("DELETE FROM ")
	b.WriteString(Table(namespace, table))
	b.WriteString(" WHERE ")
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
			b.WriteByte('=')
			p.bind(v)
		}
		b.WriteByte(')')
	}
	return Statement{SQL: b.String(), Args: p.args}, nil
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
