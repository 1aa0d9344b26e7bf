package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// maxIdentLen is MySQL's limit on a table name.
const maxIdentLen = 64

// TokenColumn is the shadow table's column, in MySQL only, that names the
// transaction attempt that inserted a row: LockShadow tells by it the rows
// it inserted from those that were there (PostgreSQL's INSERT ... RETURNING
// tells it directly). A random number, never compared with anything but
// the attempt's own.
const TokenColumn = "inserted_by"

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
			ddl, err := dml.CreateShadowTable(t.Name, target.ShadowHashColumn, t.KeyColumns, target.ShadowCommitTsColumn, target.ShadowSeqColumn, TokenColumn)
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
	return rows.Close()
}

// lockedColumns are the columns LockShadow reads (target.ScanShadowRows).
var lockedColumns = []string{target.ShadowHashColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn, TokenColumn}

func quoteAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = dml.QuoteIdent(c)
	}
	return out
}

// LockShadow implements target.ShadowSession in two statements, with the
// keys sorted by hash so that writers of overlapping batches take the
// locks in one order:
//
//  1. dml.InsertShadowRows inserts a row for each key that has none,
//     holding its claim and this attempt's token (a random number), and
//     locks the rows that exist without changing them;
//  2. a locking read (SELECT ... FOR UPDATE) reads every row as last
//     committed. A row holding this attempt's token and its claim was
//     inserted by step 1: MySQL cannot say which rows an INSERT inserted
//     (a multi-row statement reports only a count, and this driver counts
//     an unchanged duplicate like an insert), so the row says it. A row
//     inserted by another attempt carries another token, or the same one
//     by a chance of 2^-63, and then only counts as this attempt's when it
//     also holds the claimed version: the change was applied before, and
//     applying it again rewrites the values it wrote.
func (s *session) LockShadow(ctx context.Context, t target.ShadowTable, claims []target.ShadowRow) (target.ShadowLocks, error) {
	claims = target.SortShadowRows(claims)
	locks := target.ShadowLocks{Stored: make(map[string]newer.Version, len(claims)), Inserted: make(map[string]bool, len(claims))}
	if len(claims) == 0 {
		return locks, nil
	}
	token := 1 + rand.Int64N(math.MaxInt64)
	cols := append(append([]string{target.ShadowHashColumn}, t.KeyColumns...), target.ShadowCommitTsColumn, target.ShadowSeqColumn, TokenColumn)
	per := max(1, dml.MaxPlaceholders/len(cols))
	for rest := claims; len(rest) > 0; {
		n := min(per, len(rest))
		rows := make([][]any, n)
		for i, c := range rest[:n] {
			ts, seq := target.ShadowArgs(c)
			rows[i] = append(append(append(make([]any, 0, len(cols)), c.Key.Hash), c.Key.Parts...), ts, seq, token)
		}
		st, err := dml.InsertShadowRows(t.Name, target.ShadowHashColumn, cols, rows)
		if err != nil {
			return locks, &target.BatchError{Target: name, Err: fmt.Errorf("shadow table %s: %w", t.Name, err)}
		}
		if _, err := s.tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			return locks, &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
		}
		rest = rest[n:]
	}
	claimOf := make(map[string]target.ShadowRow, len(claims))
	for _, c := range claims {
		claimOf[string(c.Key.Hash)] = c
	}
	for rest := claims; len(rest) > 0; {
		n := min(dml.MaxPlaceholders, len(rest))
		q, err := dml.LockShadowRows(t.Name, target.ShadowHashColumn, lockedColumns, n)
		if err != nil {
			return locks, &target.BatchError{Target: name, Err: err}
		}
		args := make([]any, n)
		for i, c := range rest[:n] {
			args[i] = c.Key.Hash
		}
		err = target.ScanShadowRows(ctx, s.tx, q, args, func(r target.StoredShadow) {
			h := string(r.Hash)
			c := claimOf[h]
			if r.Extra == token && r.Applied != c.Unversioned && (c.Unversioned || r.Version == c.Version) {
				locks.Inserted[h] = true
			} else if r.Applied {
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
	cols := []string{target.ShadowHashColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}
	per := dml.MaxPlaceholders / len(cols)
	for rest := rows; len(rest) > 0; {
		n := min(per, len(rest))
		vals := make([][]any, n)
		for i, r := range rest[:n] {
			ts, seq := target.ShadowArgs(r)
			vals[i] = []any{r.Key.Hash, ts, seq}
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
