package dml

import (
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Delete builds DELETE FROM `t` WHERE (`k1`=? AND `k2`=?) OR (...), one
// parenthesised group per key. A NULL key value becomes `k` IS NULL with no
// parameter, because `k`=NULL never matches (the Java template's "= null"
// silently deleted nothing). NULL is nil, a nil pointer, or a typed null
// such as sql.NullString{} (a driver.Valuer whose value is nil): see
// target.WriteKeysMatch.
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
	if err := target.CheckParams(len(keys)*len(keyColumns), MaxPlaceholders); err != nil {
		return Statement{}, err
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
	err := target.WriteKeysMatch(&b, quoted, keys, func(v any) string {
		args = append(args, v)
		return "?"
	})
	if err != nil {
		return Statement{}, err
	}
	return Statement{SQL: b.String(), Args: args}, nil
}
