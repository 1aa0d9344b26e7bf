package dml

import (
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Delete builds DELETE FROM "ns"."t" WHERE ("k1"=$1 AND "k2"=$2) OR (...),
// one parenthesised group per key. A NULL key value becomes "k" IS NULL
// with no parameter, because "k"=NULL never matches. NULL is nil, a nil
// pointer, or a typed null (a driver.Valuer whose value is nil): see
// target.WriteKeysMatch.
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
	if err := target.CheckParams(len(keys)*len(keyColumns), MaxParams); err != nil {
		return Statement{}, err
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
	if err := target.WriteKeysMatch(&b, quoted, keys, p.placeholder); err != nil {
		return Statement{}, err
	}
	return Statement{SQL: b.String(), Args: p.args}, nil
}
