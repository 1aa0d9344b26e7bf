package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// Tables with unique indexes besides the primary key.
//
// A multi-row INSERT ... ON DUPLICATE KEY UPDATE cannot be used for them:
// when a new row's values clash with another row on a secondary unique
// index, MySQL updates that other row, so the new row never appears and
// the other row takes its values (a silent merge). Rows of these tables are
// therefore written one by one with statements that can only touch the
// row of their own primary key:
//
//   - UPDATE ... WHERE <primary key>; the connection reports found rows
//     (clientFoundRows), so a count of 0 means the row does not exist;
//   - then, for an absent row, a plain INSERT;
//   - a delete is DELETE ... WHERE <primary key>.
//
// An UPDATE or INSERT fails with MySQL's duplicate-entry error (1062) when
// a unique value is held by a row of another key. InnoDB then undoes only
// that statement (as for every error but a deadlock or a lost connection,
// which fail the whole batch), so the transaction goes on. Which rows clash
// depends on order, so:
//
//  1. the table's changes run in commit order, deletes included: Spanner
//     enforced the same uniqueness, so a delete or update that frees a value
//     committed before the change that takes it;
//  2. a change that clashes anyway (its batch lacks the change that frees
//     the value, or arrived in another order) is deferred and tried again
//     after the others, for as long as a pass makes progress;
//  3. rows still clashing when a pass makes no progress may be a cycle,
//     such as one transaction swapping the values of two rows. They are
//     deleted and inserted again together inside a savepoint, with
//     foreign-key checks off so that no ON DELETE action fires. A column
//     of the table that the change does not carry (Spanner does not have
//     it) keeps its value: the row is locked and that column copied into a
//     user variable before the delete, and the insert takes it from there
//     (dml.KeepInto, dml.InsertKeeping). A row whose
//     insert still fails is dropped from the set (back to the savepoint)
//     and the rest is tried again;
//  4. what is left fails on its own with MySQL's message: a retryable
//     error (the change holding the value has not arrived yet), so it goes
//     to retry/ and the rest of the batch is applied.
//
// A row MySQL refuses for another reason (a CHECK constraint, a missing
// foreign-key parent, a value too long) fails on its own too, so a bad
// row cannot split a swap across batches.
//
// No statement here can write into a row with another primary key, so a
// wrong guess about order costs a retry, never a merge.

// uniqueRow is one change of a table with secondary unique indexes; idx is
// its position in the writer's list.
type uniqueRow struct {
	idx int
	row mapping.Row
}

// UniqueClashError is a row that could not be written because a row of
// another primary key holds one of its unique values.
type UniqueClashError struct {
	Table string
	Err   error // MySQL's duplicate-entry error
}

func (e *UniqueClashError) Error() string {
	return fmt.Sprintf("table %s: a row with another primary key holds a value of this row's unique index; retried until that row's change is applied: %v", e.Table, e.Err)
}

func (e *UniqueClashError) Unwrap() error { return e.Err }

// applyUnique writes rows (sorted by commit order) in tx, on conn. Rows
// MySQL refused come back by idx with their errors; an error means the
// batch failed (a lost connection, a deadlock, or a session that could not
// be put back as it was).
func applyUnique(ctx context.Context, conn *sql.Conn, tx *sql.Tx, rows []uniqueRow) (map[int]error, error) {
	failed := map[int]error{}
	pending := rows
	for len(pending) > 0 {
		var deferred []uniqueRow
		for _, r := range pending {
			err := writeRow(ctx, tx, r.row)
			switch {
			case err == nil:
				delete(failed, r.idx)
			case IsDuplicateKey(err):
				deferred = append(deferred, r)
				failed[r.idx] = &UniqueClashError{Table: r.row.Table, Err: err}
			case rowLevel(err):
				failed[r.idx] = err
			default:
				return nil, err
			}
		}
		if len(deferred) == len(pending) {
			break
		}
		pending = deferred
	}
	if len(pending) > 1 {
		moved, err := reinsert(ctx, conn, tx, pending)
		if err != nil {
			return nil, err
		}
		for _, r := range moved {
			delete(failed, r.idx)
		}
	}
	return failed, nil
}

// rowLevel reports whether MySQL refused one statement only: everything
// but a failure of the connection or of the whole transaction.
func rowLevel(err error) bool {
	var be *target.BatchError
	var p *failure.Permanent
	return (errors.As(err, &be) || errors.As(err, &p)) && !target.IsConnection(err)
}

// writeRow writes one change: DELETE by primary key, or UPDATE by primary
// key and INSERT if absent.
func writeRow(ctx context.Context, tx *sql.Tx, r mapping.Row) error {
	if r.Delete {
		del, err := dml.Delete(r.Table, r.KeyColumns, [][]any{r.KeyValues})
		if err != nil {
			return failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
		}
		return exec(ctx, tx, del)
	}
	up, err := dml.Update(r.Table, r.Columns, r.KeyColumns, r.Values)
	if err != nil {
		return failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
	}
	res, err := tx.ExecContext(ctx, up.SQL, up.Args...)
	if err != nil {
		return &target.BatchError{Target: name, Err: Classify(err), SQL: up.SQL}
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return Classify(err)
	}
	return insertRow(ctx, tx, r)
}

func insertRow(ctx context.Context, tx *sql.Tx, r mapping.Row) error {
	ins, err := dml.Insert(r.Table, r.Columns, [][]any{r.Values})
	if err != nil {
		return failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
	}
	return exec(ctx, tx, ins)
}

func exec(ctx context.Context, tx *sql.Tx, st dml.Statement) error {
	if _, err := tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
		return &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
	}
	return nil
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
func reinsert(ctx context.Context, conn *sql.Conn, tx *sql.Tx, rows []uniqueRow) (moved []uniqueRow, err error) {
	var upserts []uniqueRow
	for _, r := range rows {
		if !r.row.Delete {
			upserts = append(upserts, r)
		}
	}
	if len(upserts) < 2 {
		return nil, nil
	}
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
	cols, err := insertableColumns(ctx, tx, upserts[0].row.Table)
	if err != nil {
		return nil, err
	}
	for len(upserts) > 1 {
		bad, err := tryReinsert(ctx, tx, cols, upserts)
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

func insertableColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, insertableColumnsQuery, table)
	if err != nil {
		return nil, fmt.Errorf("MySQL: reading the columns of table %s: %w", table, Classify(err))
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("MySQL: reading the columns of table %s: %w", table, Classify(err))
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("MySQL: reading the columns of table %s: %w", table, Classify(err))
	}
	return cols, nil
}

// unwritten are the columns of table (insertable, in table order) that a
// change writing cols leaves out; MySQL column names ignore case.
func unwritten(table, cols []string) []string {
	written := make(map[string]bool, len(cols))
	for _, c := range cols {
		written[strings.ToLower(c)] = true
	}
	var out []string
	for _, c := range table {
		if !written[strings.ToLower(c)] {
			out = append(out, c)
		}
	}
	return out
}

// keepColumns locks, before the delete, the row change i replaces and
// copies the columns it does not write into user variables. It returns
// those columns, or none when the row does not exist (the insert creates
// it, with the defaults).
func keepColumns(ctx context.Context, tx *sql.Tx, tableCols []string, i int, r mapping.Row) ([]string, error) {
	keep := unwritten(tableCols, r.Columns)
	if len(keep) == 0 {
		return nil, nil
	}
	lock, err := dml.LockRow(r.Table, r.KeyColumns)
	if err != nil {
		return nil, failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
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
		return nil, failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
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
func tryReinsert(ctx context.Context, tx *sql.Tx, tableCols []string, rows []uniqueRow) (int, error) {
	kept := make([][]string, len(rows))
	for i, r := range rows {
		var err error
		if kept[i], err = keepColumns(ctx, tx, tableCols, i, r.row); err != nil {
			return 0, err
		}
	}
	for _, r := range rows {
		del, err := dml.Delete(r.row.Table, r.row.KeyColumns, [][]any{r.row.KeyValues})
		if err != nil {
			return 0, failure.MarkSevere(fmt.Errorf("table %s: %w", r.row.Table, err))
		}
		if err := exec(ctx, tx, del); err != nil {
			return 0, err
		}
	}
	for i, r := range rows {
		ins, err := dml.InsertKeeping(r.row.Table, r.row.Columns, r.row.Values, kept[i], i)
		if err != nil {
			return 0, failure.MarkSevere(fmt.Errorf("table %s: %w", r.row.Table, err))
		}
		err = exec(ctx, tx, ins)
		if err != nil && rowLevel(err) {
			return i, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return -1, nil
}
