package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// maxIdentLen is MySQL's limit on a table name.
const maxIdentLen = 64

// LockCountColumn is the shadow table's column, in MySQL only, by which
// LockShadow tells the rows it inserted from those it found
// (dml.InsertShadowRows): 0 in a row just inserted, 1 or more once a later
// batch locked it. PostgreSQL's INSERT ... RETURNING tells it directly.
const LockCountColumn = "lock_count"

// EnsureShadowTables implements target.ShadowTarget: CREATE TABLE IF NOT
// EXISTS for each table, then a read of the shadow columns of each, which
// fails for a table of that name that is not a shadow table.
func (Target) EnsureShadowTables(ctx context.Context, s Shard, tables []target.ShadowTable) ([]string, error) {
	db, err := Open(s, 1)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	existing := map[string]bool{}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
	if err != nil {
		return nil, fmt.Errorf("listing the tables of database %q: %w", s.DBName, Classify(err))
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		existing[n] = true
	}
	rows.Close()
	var created []string
	for _, t := range tables {
		if err := target.ShadowTableName(t.Name, maxIdentLen, "MySQL"); err != nil {
			return nil, err
		}
		if !existing[t.Name] {
			ddl, err := dml.CreateShadowTable(t.Name, target.ShadowKeyColumn, target.ShadowKeyMaxLen, t.KeyColumns, target.ShadowCommitTsColumn, target.ShadowSeqColumn, LockCountColumn)
			if err != nil {
				return nil, fmt.Errorf("shadow table %s: %w", t.Name, err)
			}
			if _, err := db.ExecContext(ctx, ddl); err != nil {
				return nil, createError(s, t.Name, err)
			}
			created = append(created, t.Name)
		}
		if err := checkShadowTable(ctx, db, t); err != nil {
			return nil, err
		}
	}
	sort.Strings(created)
	return created, nil
}

// createError explains a refused CREATE TABLE: most often the user lacks
// the CREATE privilege, which shadowTableLocation=source needs.
func createError(s Shard, table string, err error) error {
	if code := errorCode(err); code == ErTableAccessDenied || code == ErDBAccessDenied {
		return fmt.Errorf("shadowTableLocation=source: the user may not create shadow table %s in database %q (grant it with GRANT CREATE ON `%s`.* TO ..., or create the shadow tables beforehand, or use shadowTableLocation=metadata): %w",
			table, s.DBName, strings.ReplaceAll(s.DBName, "`", "``"), err)
	}
	return fmt.Errorf("shadowTableLocation=source: creating shadow table %s in database %q: %w", table, s.DBName, Classify(err))
}

func checkShadowTable(ctx context.Context, db *sql.DB, t target.ShadowTable) error {
	q := fmt.Sprintf("SELECT %s FROM %s WHERE 1 = 0", strings.Join(quoteAll(lockedColumns), ", "), dml.QuoteIdent(t.Name))
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("shadowTableLocation=source: table %s exists but is not a shadow table of this template (it needs columns %s; rename it or choose another shadowTablePrefix): %w",
			t.Name, strings.Join(lockedColumns, ", "), err)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	return checkShadowKeyColumn(ctx, db, t)
}

// checkShadowKeyColumn refuses a shadow table whose key column does not
// hold identities byte for byte, each once: anything but a VARBINARY of
// target.ShadowKeyMaxLen bytes or more that is the primary key (or
// unique). A BINARY pads short identities with NULs (the locking read then
// never finds them, and every key looks never applied), a text type
// compares by its collation (case-insensitive ones take "A" and "a" for
// one key), a shorter VARBINARY cuts or refuses long identities, and
// without a unique index INSERT ... ON DUPLICATE KEY UPDATE inserts a
// second row for a key. Such a table is not one EnsureShadowTables makes;
// it was made by hand, or by renaming a column.
func checkShadowKeyColumn(ctx context.Context, db *sql.DB, t target.ShadowTable) error {
	var field, typ, null, key, extra string
	var def sql.NullString
	q := fmt.Sprintf("SHOW COLUMNS FROM %s WHERE Field = '%s'", dml.QuoteIdent(t.Name), target.ShadowKeyColumn)
	err := db.QueryRowContext(ctx, q).Scan(&field, &typ, &null, &key, &def, &extra)
	if err != nil {
		return fmt.Errorf("shadowTableLocation=source: reading the type of %s.%s: %w", t.Name, target.ShadowKeyColumn, Classify(err))
	}
	n, isVarbinary := strings.CutPrefix(strings.ToLower(typ), "varbinary(")
	length, _ := strconv.Atoi(strings.TrimSuffix(n, ")"))
	if !isVarbinary || length < target.ShadowKeyMaxLen || (key != "PRI" && key != "UNI") {
		return fmt.Errorf("shadowTableLocation=source: table %s exists but is not a shadow table of this template: its column %s is %s (key %q), it must be VARBINARY(%d) and the primary key (drop the table while no job runs, or choose another shadowTablePrefix)",
			t.Name, target.ShadowKeyColumn, typ, key, target.ShadowKeyMaxLen)
	}
	return nil
}

// lockedColumns are the columns LockShadow reads (target.ScanShadowRows).
var lockedColumns = []string{target.ShadowKeyColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn, LockCountColumn}

func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = dml.QuoteIdent(c)
	}
	return out
}

// LockShadow implements target.ShadowSession, with the keys sorted by
// identity so that writers of overlapping batches take the locks in one order:
//
//  1. dml.InsertShadowRows inserts a row holding its claim for each key
//     that has none, and locks (and counts) the rows that exist. Its row
//     count is 1 per row inserted and 2 per row found: when it equals the
//     number of keys, every row is new, its version is the claim, and
//     there is nothing to read;
//  2. otherwise a locking read (SELECT ... FOR UPDATE) reads every row as
//     last committed; those with LockCountColumn 0 are step 1's inserts.
//
// MySQL has no INSERT ... RETURNING: the count and the column are how a
// statement tells which rows it inserted.
func (s *session) LockShadow(ctx context.Context, t target.ShadowTable, claims []target.ShadowRow) (target.ShadowLocks, error) {
	claims = target.SortShadowRows(claims)
	var locks target.ShadowLocks
	if len(claims) == 0 {
		return locks, nil
	}
	cols := append(append([]string{target.ShadowKeyColumn}, t.KeyColumns...), target.ShadowCommitTsColumn, target.ShadowSeqColumn, LockCountColumn)
	per := max(1, dml.MaxPlaceholders/len(cols))
	var counted int64
	for rest := claims; len(rest) > 0; {
		n := min(per, len(rest))
		rows := make([][]any, n)
		for i, c := range rest[:n] {
			ts, seq := target.ShadowArgs(c)
			rows[i] = append(append(append(make([]any, 0, len(cols)), c.Key.ID), c.Key.Parts...), ts, seq, 0)
		}
		st, err := dml.InsertShadowRows(t.Name, target.ShadowKeyColumn, LockCountColumn, cols, rows)
		if err != nil {
			return locks, &target.BatchError{Target: name, Err: fmt.Errorf("shadow table %s: %w", t.Name, err)}
		}
		res, err := s.tx.ExecContext(ctx, st.SQL, st.Args...)
		if err == nil {
			var c int64
			c, err = res.RowsAffected()
			counted += c
		}
		if err != nil {
			return locks, &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
		}
		rest = rest[n:]
	}
	if counted == int64(len(claims)) {
		locks.AllInserted = true
		return locks, nil
	}
	locks.Stored, locks.Inserted = make(map[string]newer.Version, len(claims)), make(map[string]bool, len(claims))
	for rest := claims; len(rest) > 0; {
		n := min(dml.MaxPlaceholders, len(rest))
		q, err := dml.LockShadowRows(t.Name, target.ShadowKeyColumn, lockedColumns, n)
		if err != nil {
			return locks, &target.BatchError{Target: name, Err: err}
		}
		args := make([]any, n)
		for i, c := range rest[:n] {
			args[i] = c.Key.ID
		}
		err = target.ScanShadowRows(ctx, s.tx, q, args, func(r target.StoredShadow) {
			switch h := string(r.ID); {
			case r.Extra == 0:
				locks.Inserted[h] = true
			case r.Applied:
				locks.Stored[h] = r.Version
			}
		})
		if err != nil {
			return locks, fmt.Errorf("MySQL: reading shadow table %s: %w", t.Name, Classify(err))
		}
		rest = rest[n:]
	}
	return locks, nil
}

// WriteShadow implements target.ShadowSession: one multi-row upsert of the
// versions (the rows exist and are locked, so it updates them).
func (s *session) WriteShadow(ctx context.Context, t target.ShadowTable, rows []target.ShadowRow) error {
	cols := []string{target.ShadowKeyColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}
	per := dml.MaxPlaceholders / len(cols)
	for rest := rows; len(rest) > 0; {
		n := min(per, len(rest))
		vals := make([][]any, n)
		for i, r := range rest[:n] {
			ts, seq := target.ShadowArgs(r)
			vals[i] = []any{r.Key.ID, ts, seq}
		}
		st, err := dml.Upsert(t.Name, cols, cols[:1], vals)
		if err != nil {
			return &target.BatchError{Target: name, Err: fmt.Errorf("shadow table %s: %w", t.Name, err)}
		}
		if _, err := s.tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			return &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
		}
		rest = rest[n:]
	}
	return nil
}

// errorCode is the MySQL error number of err, 0 for another error.
func errorCode(err error) uint16 {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// ShadowVersions implements target.Scanner: the versions of keys, read in
// a read-only transaction without locks (verify's in-flight rule must
// neither wait for the writer nor hold it up). Its isolation is READ
// COMMITTED, not the server's default: under SERIALIZABLE, InnoDB makes
// every SELECT of a transaction a locking read.
func (scanner) ShadowVersions(ctx context.Context, db *sql.DB, t target.ShadowTable, keys []target.ShadowKey) (map[string]newer.Version, error) {
	out := make(map[string]newer.Version, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("MySQL: reading shadow table %s: %w", t.Name, Classify(err))
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	cols := []string{target.ShadowKeyColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}
	for rest := keys; len(rest) > 0; {
		n := min(dml.MaxPlaceholders, len(rest))
		q, err := dml.ShadowRows(t.Name, target.ShadowKeyColumn, cols, n)
		if err != nil {
			return nil, &target.BatchError{Target: name, Err: err}
		}
		args := make([]any, n)
		for i, k := range rest[:n] {
			args[i] = k.ID
		}
		if err := target.ReadShadowVersions(ctx, tx, q, args, out); err != nil {
			return nil, fmt.Errorf("MySQL: reading shadow table %s: %w", t.Name, Classify(err))
		}
		rest = rest[n:]
	}
	return out, tx.Commit()
}
