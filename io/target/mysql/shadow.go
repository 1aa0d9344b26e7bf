package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// maxIdentLen is MySQL's limit on a table name.
const maxIdentLen = 64

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
			ddl, err := dml.CreateShadowTable(t.Name, target.ShadowHashColumn, t.KeyColumns, target.ShadowCommitTsColumn, target.ShadowSeqColumn)
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
	q := fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE 1 = 0", dml.QuoteIdent(target.ShadowHashColumn),
		dml.QuoteIdent(target.ShadowCommitTsColumn), dml.QuoteIdent(target.ShadowSeqColumn), dml.QuoteIdent(t.Name))
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("shadowTableLocation=source: table %s exists but is not a shadow table of this template (it needs columns %s, %s and %s; rename it or choose another shadowTablePrefix): %w",
			t.Name, target.ShadowHashColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn, err)
	}
	return rows.Close()
}

// LockShadow implements target.ShadowSession. Absent rows are inserted
// first, with ON DUPLICATE KEY UPDATE, which takes an exclusive lock on a
// row that exists (INSERT IGNORE would take a shared one, and two writers
// upgrading shared locks deadlock); an inserted row is locked by its
// insert, and a second writer inserting the same key waits for the first
// to end. The locking read then reads the rows as last committed. Keys are
// sorted by hash, so that writers of overlapping batches take the locks in
// one order.
func (s *session) LockShadow(ctx context.Context, t target.ShadowTable, keys []target.ShadowKey) (map[string]newer.Version, error) {
	keys = target.SortShadowKeys(keys)
	out := make(map[string]newer.Version, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cols := append([]string{target.ShadowHashColumn}, t.KeyColumns...)
	per := max(1, dml.MaxPlaceholders/len(cols))
	for rest := keys; len(rest) > 0; {
		n := min(per, len(rest))
		rows := make([][]any, n)
		for i, k := range rest[:n] {
			rows[i] = append([]any{k.Hash}, k.Parts...)
		}
		st, err := dml.Upsert(t.Name, cols, cols, rows)
		if err != nil {
			return nil, &target.BatchError{Target: name, Err: fmt.Errorf("shadow table %s: %w", t.Name, err)}
		}
		if _, err := s.tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			return nil, &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
		}
		rest = rest[n:]
	}
	if err := readShadowRows(ctx, s.tx, t, keys, true, out); err != nil {
		return nil, fmt.Errorf("MySQL: reading shadow table %s: %w", t.Name, err)
	}
	return out, nil
}

// ShadowVersions implements target.Scanner: the versions of keys, read in
// a read-only transaction without locks. Its isolation is READ COMMITTED,
// not the server's default: under SERIALIZABLE, InnoDB makes every SELECT
// of a transaction a locking read, which would wait for the writers
// holding the rows and hold them up in turn.
func (scanner) ShadowVersions(ctx context.Context, db *sql.DB, t target.ShadowTable, keys []target.ShadowKey) (map[string]newer.Version, error) {
	keys = target.SortShadowKeys(keys)
	out := make(map[string]newer.Version, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("MySQL: reading shadow table %s: %w", t.Name, Classify(err))
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	if err := readShadowRows(ctx, tx, t, keys, false, out); err != nil {
		return nil, fmt.Errorf("MySQL: reading shadow table %s: %w", t.Name, err)
	}
	return out, tx.Commit()
}

// readShadowRows adds to out the versions t holds for keys, read in tx in
// statements of at most dml.MaxPlaceholders keys: locked until tx ends
// (LockShadow) or, without lock, not locked at all (ShadowVersions).
func readShadowRows(ctx context.Context, tx *sql.Tx, t target.ShadowTable, keys []target.ShadowKey, lock bool, out map[string]newer.Version) error {
	build := dml.ShadowRows
	if lock {
		build = dml.LockShadowRows
	}
	cols := []string{target.ShadowHashColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}
	for rest := keys; len(rest) > 0; {
		n := min(dml.MaxPlaceholders, len(rest))
		q, err := build(t.Name, target.ShadowHashColumn, cols, n)
		if err != nil {
			return &target.BatchError{Target: name, Err: err}
		}
		args := make([]any, n)
		for i, k := range rest[:n] {
			args[i] = k.Hash
		}
		if err := target.ReadShadowVersions(ctx, tx, q, args, out); err != nil {
			return Classify(err)
		}
		rest = rest[n:]
	}
	return nil
}

// WriteShadow implements target.ShadowSession: one multi-row upsert of the
// versions (the rows exist and are locked, so it updates them).
func (s *session) WriteShadow(ctx context.Context, t target.ShadowTable, rows []target.ShadowRow) error {
	cols := []string{target.ShadowHashColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}
	per := dml.MaxPlaceholders / len(cols)
	for rest := rows; len(rest) > 0; {
		n := min(per, len(rest))
		vals := make([][]any, n)
		for i, r := range rest[:n] {
			vals[i] = []any{r.Key.Hash, target.ShadowNanos(r.Version), r.Version.Seq}
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
