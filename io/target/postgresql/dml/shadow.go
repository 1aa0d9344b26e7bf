package dml

import (
	"fmt"
	"strings"
)

// CreateShadowTable builds the DDL of a shadow table kept in the shard
// (shadowTableLocation=source; io/target describes its columns): the key's
// identity (bytea) as the primary key, the Spanner key columns as text (shown, never
// compared), the version as two bigints.
func CreateShadowTable(namespace, table, keyCol string, keyCols []string, tsCol, seqCol string) (string, error) {
	if err := checkTable(namespace, table); err != nil {
		return "", err
	}
	// A key column named like one of the shadow's own is a duplicate.
	if err := checkColumns("shadow table", append(append([]string{keyCol}, keyCols...), tsCol, seqCol)); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n  %s bytea NOT NULL", Table(namespace, table), QuoteIdent(keyCol))
	for _, c := range keyCols {
		fmt.Fprintf(&b, ",\n  %s text", QuoteIdent(c))
	}
	fmt.Fprintf(&b, ",\n  %s bigint,\n  %s bigint,\n  PRIMARY KEY (%s)\n)", QuoteIdent(tsCol), QuoteIdent(seqCol), QuoteIdent(keyCol))
	return b.String(), nil
}

// InsertShadowRows builds INSERT ... ON CONFLICT (keyCol) DO NOTHING
// RETURNING keyCol: a row for each key that has none, so that the locking
// read that follows finds, and locks, a row for every other key. FOR
// UPDATE cannot lock a row that does not exist; without this, two writers
// of a new key would both read nothing and both apply. The insert itself
// locks the row it inserts, and a second writer inserting the same key
// waits for the first to end, then does nothing. RETURNING names the rows
// inserted: only those.
func InsertShadowRows(namespace, table, keyCol string, cols []string, rows [][]any) (Statement, error) {
	if err := checkIdent("column", keyCol); err != nil {
		return Statement{}, err
	}
	st, err := Insert(namespace, table, cols, rows)
	if err != nil {
		return Statement{}, err
	}
	h := QuoteIdent(keyCol)
	st.SQL += " ON CONFLICT (" + h + ") DO NOTHING RETURNING " + h
	return st, nil
}

// LockShadowRows builds SELECT <cols> FROM t WHERE keyCol IN ($1, ...)
// ORDER BY keyCol FOR UPDATE for n keys: the rows as last committed
// (under READ COMMITTED a locked row is re-read after its writer commits),
// locked until the transaction ends.
func LockShadowRows(namespace, table, keyCol string, cols []string, n int) (string, error) {
	q, err := ShadowRows(namespace, table, keyCol, cols, n)
	if err != nil {
		return "", err
	}
	return q + " FOR UPDATE", nil
}

// ShadowRows builds SELECT <cols> FROM t WHERE keyCol IN ($1, ...) ORDER
// BY keyCol for n keys, without locks: runMode=verify reads the shadow
// rows beside the writer and must not hold it up.
func ShadowRows(namespace, table, keyCol string, cols []string, n int) (string, error) {
	if err := checkTable(namespace, table); err != nil {
		return "", err
	}
	if err := checkColumns("select", cols); err != nil {
		return "", err
	}
	if err := checkIdent("column", keyCol); err != nil {
		return "", err
	}
	if n <= 0 {
		return "", errNoRows
	}
	if n > MaxParams {
		return "", fmt.Errorf("dml: %d parameters exceed %d; split the batch", n, MaxParams)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	writeList(&b, cols)
	h := QuoteIdent(keyCol)
	fmt.Fprintf(&b, " FROM %s WHERE %s IN (", Table(namespace, table), h)
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "$%d", i)
	}
	fmt.Fprintf(&b, ") ORDER BY %s", h)
	return b.String(), nil
}
