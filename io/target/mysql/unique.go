package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// Tables with unique indexes besides the primary key.
//
// A multi-row INSERT ... ON DUPLICATE KEY UPDATE cannot be used for them:
// when a new row's values clash with another row on a secondary unique
// index, MySQL updates that other row, so the new row never appears and
// the other row takes its values (a silent merge). Rows of these tables are
// therefore written one by one (target.ApplyUnique, which says in what
// order and how often) with statements that can only touch the row of
// their own primary key:
//
//   - UPDATE ... WHERE <primary key>; the connection reports found rows
//     (clientFoundRows), so a count of 0 means the row does not exist;
//   - then, for an absent row, a plain INSERT;
//   - a delete is DELETE ... WHERE <primary key>.
//
// An UPDATE or INSERT fails with MySQL's duplicate-entry error (1062) when
// a unique value is held by a row of another key. InnoDB then undoes only
// that statement (as for every error but a deadlock, a full lock table or
// a lost connection, which fail the attempt: codes.go), so the
// transaction goes on.
//
// Rows still clashing when a pass makes no progress may be a cycle. They
// are deleted and inserted again together inside a savepoint (reinsert),
// with foreign-key checks off so that no ON DELETE action fires. A column
// of the table that the change does not carry (Spanner does not have it)
// keeps its value: the row is locked and that column copied into a user
// variable before the delete, and the insert takes it from there
// (dml.KeepInto, dml.InsertKeeping). A row whose insert still fails is
// dropped from the set (back to the savepoint) and the rest is tried
// again.
//
// A row MySQL refuses for another reason (a CHECK constraint, a missing
// foreign-key parent, a value too long) fails on its own too, so a bad
// row cannot split a swap across batches.

// applyUnique writes rows (sorted by commit order) with w, on conn. Rows
// MySQL refused come back by Idx with their errors; an error means the
// batch failed (a lost connection, a deadlock, or a session that could not
// be put back as it was).
func applyUnique(ctx context.Context, conn *sql.Conn, w target.Writer, rows []target.UniqueRow) (map[int]error, error) {
	return target.ApplyUnique(ctx, target.Unique{
		Write: w.WriteRow,
		Clash: IsDuplicateKey,
		Reinsert: func(ctx context.Context, rows []target.UniqueRow) ([]target.UniqueRow, error) {
			return reinsert(ctx, conn, w, rows)
		},
	}, rows)
}

// Savepoint and session statements of reinsert.
const (
	savepoint         = "SAVEPOINT revrepl_unique"
	rollbackSavepoint = "ROLLBACK TO SAVEPOINT revrepl_unique"
	releaseSavepoint  = "RELEASE SAVEPOINT revrepl_unique"
	saveFKChecks      = "SET @revrepl_fk_checks = @@SESSION.foreign_key_checks"
	fkChecksOff       = "SET SESSION foreign_key_checks = 0"
	restoreFKChecks   = "SET SESSION foreign_key_checks = @revrepl_fk_checks"
	// restoreTimeout bounds putting foreign-key checks back, which runs
	// even when the batch's context is done.
	restoreTimeout = 10 * time.Second
)

// reinsert deletes the rows that are not deletes and inserts them again,
// so that values they swap among themselves are free when each is
// inserted. A row whose insert fails is dropped (back to the savepoint)
// and the others are tried again; it returns the rows written.
//
// Foreign-key checks are a session setting: they are put back whatever
// happens, without the batch's deadline; if that fails, the connection is
// discarded rather than returned to the pool with checks off.
func reinsert(ctx context.Context, conn *sql.Conn, w target.Writer, rows []target.UniqueRow) (moved []target.UniqueRow, err error) {
	upserts := target.Upserts(rows)
	if upserts == nil {
		return nil, nil
	}
	tx := w.Tx
	for _, q := range []string{savepoint, saveFKChecks, fkChecksOff} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("MySQL: %s: %w", q, Classify(err))
		}
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
		if _, rerr := tx.ExecContext(rctx, restoreFKChecks); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			moved, err = nil, fmt.Errorf("MySQL: %s: %w", restoreFKChecks, Classify(rerr))
		}
	}()
	table := upserts[0].Row.Table
	cols, err := target.Strings(ctx, tx, insertableColumnsQuery, table)
	if err != nil {
		return nil, fmt.Errorf("MySQL: reading the columns of table %s: %w", table, Classify(err))
	}
	for len(upserts) > 1 {
		bad, err := tryReinsert(ctx, w, cols, upserts)
		if err != nil {
			return nil, err
		}
		if bad < 0 {
			if _, err := tx.ExecContext(ctx, releaseSavepoint); err != nil {
				return nil, fmt.Errorf("MySQL: %s: %w", releaseSavepoint, Classify(err))
			}
			return upserts, nil
		}
		if _, err := tx.ExecContext(ctx, rollbackSavepoint); err != nil {
			return nil, fmt.Errorf("MySQL: %s: %w", rollbackSavepoint, Classify(err))
		}
		upserts = append(upserts[:bad:bad], upserts[bad+1:]...)
	}
	return nil, nil
}

// insertableColumnsQuery lists the columns of a table of the current
// database an INSERT may set: all but generated ones (MySQL prints an
// empty expression for the others, MariaDB NULL).
const insertableColumnsQuery = `SELECT COLUMN_NAME FROM information_schema.COLUMNS
	WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COALESCE(GENERATION_EXPRESSION, '') = ''
	ORDER BY ORDINAL_POSITION`

// keepColumns locks, before the delete, the row change i replaces and
// copies the columns it does not write into user variables (MySQL column
// names ignore case). It returns those columns, or none when the row does
// not exist (the insert creates it, with the defaults).
func keepColumns(ctx context.Context, tx *sql.Tx, tableCols []string, i int, r mapping.Row) ([]string, error) {
	keep := target.Unwritten(tableCols, r.Columns, strings.ToLower)
	if len(keep) == 0 {
		return nil, nil
	}
	lock, err := dml.LockRow(r.Table, r.KeyColumns)
	if err != nil {
		return nil, target.Unbuildable(r.Table, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, lock, r.KeyValues...).Scan(&n); err != nil {
		return nil, &target.BatchError{Target: name, Err: Classify(err), SQL: lock}
	}
	if n == 0 {
		return nil, nil
	}
	into, err := dml.KeepInto(r.Table, keep, r.KeyColumns, i)
	if err != nil {
		return nil, target.Unbuildable(r.Table, err)
	}
	if _, err := tx.ExecContext(ctx, into, r.KeyValues...); err != nil {
		return nil, &target.BatchError{Target: name, Err: Classify(err), SQL: into}
	}
	return keep, nil
}

// tryReinsert deletes and inserts rows; it returns the index of the first
// row MySQL refused, or -1 when all were written. tableCols are the
// table's insertable columns: those the change does not write keep the
// values the row held.
func tryReinsert(ctx context.Context, w target.Writer, tableCols []string, rows []target.UniqueRow) (int, error) {
	kept := make([][]string, len(rows))
	for i, r := range rows {
		var err error
		if kept[i], err = keepColumns(ctx, w.Tx, tableCols, i, r.Row); err != nil {
			return 0, err
		}
	}
	for _, r := range rows {
		del, err := dml.Delete(r.Row.Table, r.Row.KeyColumns, [][]any{r.Row.KeyValues})
		if err != nil {
			return 0, target.Unbuildable(r.Row.Table, err)
		}
		if err := w.Exec(ctx, del); err != nil {
			return 0, err
		}
	}
	for i, r := range rows {
		ins, err := dml.InsertKeeping(r.Row.Table, r.Row.Columns, r.Row.Values, kept[i], i)
		if err != nil {
			return 0, target.Unbuildable(r.Row.Table, err)
		}
		err = w.Exec(ctx, ins)
		if err != nil && target.RowLevel(err) {
			return i, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return -1, nil
}
