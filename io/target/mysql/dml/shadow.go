package dml

import (
	"fmt"
	"strings"
)

// maxKeyLen is InnoDB's largest index entry, in bytes.
const maxKeyLen = 3072

// CreateShadowTable builds the DDL of a shadow table kept in the shard
// (shadowTableLocation=source; io/target describes its columns): the
// key's identity (VARBINARY(keyLen): compared byte for byte, and no
// identity is another followed by spaces, see io/shadow.SourceKey) as the
// primary key, the Spanner key columns as text, the version as two
// BIGINTs, and countCol, the BIGINT by which a transaction tells the rows
// it inserted from those it found (InsertShadowRows). InnoDB is named: the
// protocol rests on its row locks, and a server whose default engine is
// another (MyISAM) would silently lose them. The text columns are binary
// (utf8mb4_bin) so that they show what Spanner holds; nothing compares
// them.
func CreateShadowTable(table, keyCol string, keyLen int, keyCols []string, tsCol, seqCol, countCol string) (string, error) {
	if err := checkIdent("table", table); err != nil {
		return "", err
	}
	// A key column named like one of the shadow's own is a duplicate.
	if err := checkColumns("shadow table", append(append([]string{keyCol}, keyCols...), tsCol, seqCol, countCol)); err != nil {
		return "", err
	}
	if keyLen < 1 || keyLen > maxKeyLen {
		return "", fmt.Errorf("shadow table %s: key length %d is not in 1..%d", table, keyLen, maxKeyLen)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n  %s VARBINARY(%d) NOT NULL", QuoteIdent(table), QuoteIdent(keyCol), keyLen)
	for _, c := range keyCols {
		fmt.Fprintf(&b, ",\n  %s TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL", QuoteIdent(c))
	}
	fmt.Fprintf(&b, ",\n  %s BIGINT NULL,\n  %s BIGINT NULL,\n  %s BIGINT NOT NULL DEFAULT 0,\n  PRIMARY KEY (%s)\n) ENGINE=InnoDB",
		QuoteIdent(tsCol), QuoteIdent(seqCol), QuoteIdent(countCol), QuoteIdent(keyCol))
	return b.String(), nil
}

// InsertShadowRows builds INSERT ... ON DUPLICATE KEY UPDATE countCol =
// IF(countCol > 0, countCol + 1, 1), for rows whose countCol value is 0.
// A key that has no row gets one (locked by its insert; a second writer
// inserting the same key waits for the first to end) with countCol 0. A
// row that exists is locked exclusively, as ON DUPLICATE KEY UPDATE locks
// a duplicate (INSERT IGNORE would take a shared lock, and two writers
// upgrading shared locks deadlock), and its countCol goes to 1 or more:
// always a change, so the statement's row count is 1 per row inserted and
// 2 per row found, with or without CLIENT_FOUND_ROWS, and afterwards
// countCol is 0 exactly in the rows it inserted.
func InsertShadowRows(table, keyCol, countCol string, cols []string, rows [][]any) (Statement, error) {
	if err := checkIdent("column", keyCol); err != nil {
		return Statement{}, err
	}
	if err := checkIdent("column", countCol); err != nil {
		return Statement{}, err
	}
	st, err := Insert(table, cols, rows)
	if err != nil {
		return Statement{}, err
	}
	c := QuoteIdent(countCol)
	st.SQL += " ON DUPLICATE KEY UPDATE " + c + "=IF(" + c + ">0," + c + "+1,1)"
	return st, nil
}

// LockShadowRows builds SELECT <cols> FROM t WHERE keyCol IN (?, ...)
// ORDER BY keyCol FOR UPDATE for n keys: a locking read, which reads the
// latest committed rows (not the transaction's snapshot) and holds their
// exclusive locks until the transaction ends.
func LockShadowRows(table, keyCol string, cols []string, n int) (string, error) {
	q, err := ShadowRows(table, keyCol, cols, n)
	if err != nil {
		return "", err
	}
	return q + " FOR UPDATE", nil
}

// ShadowRows builds SELECT <cols> FROM t WHERE keyCol IN (?, ...) ORDER
// BY keyCol for n keys, without locks: runMode=verify reads the shadow
// rows beside the writer and must not hold it up.
func ShadowRows(table, keyCol string, cols []string, n int) (string, error) {
	if err := checkIdent("table", table); err != nil {
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
	if n > MaxPlaceholders {
		return "", fmt.Errorf("dml: %d parameters exceed %d; split the batch", n, MaxPlaceholders)
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = QuoteIdent(c)
	}
	h := QuoteIdent(keyCol)
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (%s) ORDER BY %s",
		strings.Join(quoted, ","), QuoteIdent(table), h, strings.TrimSuffix(strings.Repeat("?,", n), ","), h), nil
}
