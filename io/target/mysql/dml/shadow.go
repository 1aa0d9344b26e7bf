package dml

import (
	"fmt"
	"strings"
)

// CreateShadowTable builds the DDL of a shadow table kept in the shard
// (shadowTableLocation=source; io/target describes its columns): the hash
// as the primary key, the Spanner key columns as text, the version as two
// BIGINTs. InnoDB is named: the protocol rests on its row locks, and a
// server whose default engine is another (MyISAM) would silently lose them.
// The text columns are binary (utf8mb4_bin) so that they show what Spanner
// holds; nothing compares them.
func CreateShadowTable(table, hashCol string, keyCols []string, tsCol, seqCol string) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	// A key column named like one of the shadow's own is a duplicate.
	if err := checkColumns("shadow table", append(append([]string{hashCol}, keyCols...), tsCol, seqCol)); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n  %s BINARY(32) NOT NULL", QuoteIdent(table), QuoteIdent(hashCol))
	for _, c := range keyCols {
		fmt.Fprintf(&b, ",\n  %s TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL", QuoteIdent(c))
	}
	fmt.Fprintf(&b, ",\n  %s BIGINT NULL,\n  %s BIGINT NULL,\n  PRIMARY KEY (%s)\n) ENGINE=InnoDB",
		QuoteIdent(tsCol), QuoteIdent(seqCol), QuoteIdent(hashCol))
	return b.String(), nil
}

// LockShadowRows builds SELECT <cols> FROM t WHERE hashCol IN (?, ...)
// ORDER BY hashCol FOR UPDATE for n keys: a locking read, which reads the
// latest committed rows (not the transaction's snapshot) and holds their
// exclusive locks until the transaction ends.
func LockShadowRows(table, hashCol string, cols []string, n int) (string, error) {
	q, err := ShadowRows(table, hashCol, cols, n)
	if err != nil {
		return "", err
	}
	return q + " FOR UPDATE", nil
}

// ShadowRows builds SELECT <cols> FROM t WHERE hashCol IN (?, ...) ORDER
// BY hashCol for n keys, without locks: runMode=verify reads the shadow
// rows beside the writer and must not hold it up.
func ShadowRows(table, hashCol string, cols []string, n int) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	if err := checkColumns("select", cols); err != nil {
		return "", err
	}
	if err := checkIdent("column", hashCol); err != nil {
		return "", err
	}
	if n <= 0 {
		return "", errNoRows
	}
	if n > MaxPlaceholders {
		return "", fmt.Errorf("dml: %d parameters exceed %d; split the batch", n, MaxPlaceholders)
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = QuoteIdent(c)
	}
	h := QuoteIdent(hashCol)
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (%s) ORDER BY %s",
		strings.Join(quoted, ","), QuoteIdent(table), h, strings.TrimSuffix(strings.Repeat("?,", n), ","), h), nil
}
