package postgresql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// Tables with unique indexes besides the primary key.
//
// INSERT ... ON CONFLICT (<primary key>) never merges a row into another
// one, but a clash on another unique index fails the whole statement, and
// in PostgreSQL any error aborts the transaction. Rows of these tables are
// therefore written one by one, each inside a savepoint, with statements
// that can only touch the row of their own primary key:
//
//   - UPDATE ... WHERE <primary key>; a count of 0 means the row does not
//     exist; then a plain INSERT;
//   - a delete is DELETE ... WHERE <primary key>.
//
// A statement PostgreSQL refuses is undone by ROLLBACK TO SAVEPOINT, which
// leaves the transaction usable. As for MySQL (io/target/mysql/unique.go):
//
//  1. the table's changes run in commit order, deletes included;
//  2. a change that clashes with another row's unique value (23505) is
//     deferred and tried again after the others, while a pass makes
//     progress;
//  3. rows still clashing may be a cycle (a transaction swapping two
//     rows' values; PostgreSQL checks a non-deferrable unique index row by
//     row, so no single UPDATE can swap them). They are deleted and
//     inserted again together inside a savepoint; a row whose insert fails
//     is dropped from the set (back to the savepoint) and the rest tried
//     again. A column of the table the change does not carry (Spanner
//     does not have it) keeps its value: the row is read and locked
//     before its delete, and the insert takes those columns from what was
//     read (dml.InsertKeeping). PostgreSQL cannot switch foreign-key actions off for a
//     session as MySQL can, so this is not tried when another table's
//     foreign key would cascade, set null or set default on the delete;
//     a delete that a foreign key forbids fails and is undone;
//  4. what is left fails on its own with PostgreSQL's message: retryable
//     (the change freeing the value has not arrived yet), so it goes to
//     retry/ and the rest of the batch is applied.
//
// A row refused for another reason (a check constraint, a missing
// foreign-key parent, a value too long) fails on its own too.

// uniqueRow is one change of a table with unique indexes; idx is its
// position in the writer's list.
type uniqueRow struct {
	idx int
	row mapping.Row
}

// UniqueClashError is a row that could not be written because a row of
// another primary key holds one of its unique values.
type UniqueClashError struct {
	Table string
	Err   error // PostgreSQL's unique violation
}

func (e *UniqueClashError) Error() string {
	return fmt.Sprintf("table %s: a row with another primary key holds a value of this row's unique index; retried until that row's change is applied: %v", e.Table, e.Err)
}

func (e *UniqueClashError) Unwrap() error { return e.Err }

// Savepoints of the unique path.
const (
	rowSavepoint         = "SAVEPOINT revrepl_row"
	rollbackRowSavepoint = "ROLLBACK TO SAVEPOINT revrepl_row"
	releaseRowSavepoint  = "RELEASE SAVEPOINT revrepl_row"
	swapSavepoint        = "SAVEPOINT revrepl_swap"
	rollbackSwap         = "ROLLBACK TO SAVEPOINT revrepl_swap"
	releaseSwap          = "RELEASE SAVEPOINT revrepl_swap"
)

// applyUnique writes rows (sorted by commit order) in tx. Rows PostgreSQL
// refused come back by idx with their errors; an error means the batch
// failed (a lost connection, a deadlock, a savepoint that failed).
func applyUnique(ctx context.Context, tx *sql.Tx, ns string, rows []uniqueRow) (map[int]error, error) {
	failed := map[int]error{}
	pending := rows
	for len(pending) > 0 {
		var deferred []uniqueRow
		for _, r := range pending {
			err := inSavepoint(ctx, tx, rowSavepoint, rollbackRowSavepoint, releaseRowSavepoint, func() error {
				return writeRow(ctx, tx, ns, r.row)
			})
			switch {
			case err == nil:
				delete(failed, r.idx)
			case IsUniqueViolation(err):
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
		moved, err := reinsert(ctx, tx, ns, pending)
		if err != nil {
			return nil, err
		}
		for _, r := range moved {
			delete(failed, r.idx)
		}
	}
	return failed, nil
}

// inSavepoint runs f inside a savepoint: released when f succeeds, rolled
// back to when f fails for one row (its error is returned, the
// transaction goes on). A failure of the savepoint itself, or of the
// connection, is returned as it is: the batch fails.
func inSavepoint(ctx context.Context, tx *sql.Tx, save, rollback, release string, f func() error) error {
	if _, err := tx.ExecContext(ctx, save); err != nil {
		return fmt.Errorf("PostgreSQL: %s: %w", save, Classify(err))
	}
	ferr := f()
	if ferr == nil {
		if _, err := tx.ExecContext(ctx, release); err != nil {
			return fmt.Errorf("PostgreSQL: %s: %w", release, Classify(err))
		}
		return nil
	}
	if !rowLevel(ferr) {
		return ferr
	}
	if _, err := tx.ExecContext(ctx, rollback); err != nil {
		return fmt.Errorf("PostgreSQL: %s: %w", rollback, Classify(err))
	}
	return ferr
}

// rowLevel reports whether PostgreSQL refused one statement only:
// everything but a failure of the connection or of the whole transaction.
func rowLevel(err error) bool {
	var be *target.BatchError
	var p *failure.Permanent
	return (errors.As(err, &be) || errors.As(err, &p)) && !target.IsConnection(err)
}

// writeRow writes one change: DELETE by primary key, or UPDATE by primary
// key and INSERT if absent.
func writeRow(ctx context.Context, tx *sql.Tx, ns string, r mapping.Row) error {
	if r.Delete {
		del, err := dml.Delete(ns, r.Table, r.KeyColumns, [][]any{r.KeyValues})
		if err != nil {
			return failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
		}
		return exec(ctx, tx, del)
	}
	up, err := dml.Update(ns, r.Table, r.Columns, r.KeyColumns, r.Values)
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
	return insertRow(ctx, tx, ns, r)
}

func insertRow(ctx context.Context, tx *sql.Tx, ns string, r mapping.Row) error {
	ins, err := dml.Insert(ns, r.Table, r.Columns, [][]any{r.Values})
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

// deleteActions finds a foreign key of another table whose action on
// delete of table's rows changes other rows (CASCADE, SET NULL, SET
// DEFAULT): deleting and inserting again would fire it.
const deleteActions = `SELECT EXISTS (SELECT 1 FROM pg_constraint k
	JOIN pg_class c ON c.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE k.contype = 'f' AND n.nspname = $1 AND c.relname = $2 AND k.confdeltype IN ('c', 'n', 'd'))`

// reinsert deletes the rows that are not deletes and inserts them again,
// so that values they swap among themselves are free when each is
// inserted. A row whose insert fails is dropped (back to the savepoint)
// and the others are tried again; it returns the rows written.
func reinsert(ctx context.Context, tx *sql.Tx, ns string, rows []uniqueRow) ([]uniqueRow, error) {
	var upserts []uniqueRow
	for _, r := range rows {
		if !r.row.Delete {
			upserts = append(upserts, r)
		}
	}
	if len(upserts) < 2 {
		return nil, nil
	}
	var actions bool
	if err := tx.QueryRowContext(ctx, deleteActions, ns, upserts[0].row.Table).Scan(&actions); err != nil {
		return nil, fmt.Errorf("PostgreSQL: reading the foreign keys on table %s: %w", upserts[0].row.Table, Classify(err))
	}
	if actions {
		return nil, nil
	}
	cols, err := insertableColumns(ctx, tx, ns, upserts[0].row.Table)
	if err != nil {
		return nil, err
	}
	for len(upserts) > 1 {
		var bad int
		err := inSavepoint(ctx, tx, swapSavepoint, rollbackSwap, releaseSwap, func() error {
			var err error
			bad, err = tryReinsert(ctx, tx, ns, cols, upserts)
			return err
		})
		switch {
		case err == nil:
			return upserts, nil
		case !rowLevel(err):
			return nil, err
		case bad < 0:
			return nil, nil // a delete failed: a foreign key forbids it
		}
		upserts = append(upserts[:bad:bad], upserts[bad+1:]...)
	}
	return nil, nil
}

// insertableColumnsQuery lists the columns of a table an INSERT may set:
// all but dropped and generated ones.
const insertableColumnsQuery = `SELECT a.attname FROM pg_attribute a
	JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
	ORDER BY a.attnum`

func insertableColumns(ctx context.Context, tx *sql.Tx, ns, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, insertableColumnsQuery, ns, table)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: reading the columns of table %s: %w", table, Classify(err))
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("PostgreSQL: reading the columns of table %s: %w", table, Classify(err))
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("PostgreSQL: reading the columns of table %s: %w", table, Classify(err))
	}
	return cols, nil
}

// unwritten are the columns of table (insertable, in table order) that a
// change writing cols leaves out.
func unwritten(table, cols []string) []string {
	written := make(map[string]bool, len(cols))
	for _, c := range cols {
		written[c] = true
	}
	var out []string
	for _, c := range table {
		if !written[c] {
			out = append(out, c)
		}
	}
	return out
}

// keptRow is what a row's insert takes from the row it replaces: the
// columns the change does not write, and the old row's text (invalid when
// there was no row).
type keptRow struct {
	cols []string
	old  sql.NullString
}

// readKept reads and locks, before the delete, the row a change replaces,
// when the table has columns the change does not write.
func readKept(ctx context.Context, tx *sql.Tx, ns string, tableCols []string, r mapping.Row) (keptRow, error) {
	k := keptRow{cols: unwritten(tableCols, r.Columns)}
	if len(k.cols) == 0 {
		return k, nil
	}
	q, err := dml.LockRowText(ns, r.Table, r.KeyColumns)
	if err != nil {
		return k, failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
	}
	switch err := tx.QueryRowContext(ctx, q, r.KeyValues...).Scan(&k.old); {
	case errors.Is(err, sql.ErrNoRows):
		// No row yet: the insert creates it, with the defaults.
	case err != nil:
		return k, &target.BatchError{Target: name, Err: Classify(err), SQL: q}
	}
	return k, nil
}

// tryReinsert deletes and inserts rows. A row-level error comes with the
// index of the row PostgreSQL refused to insert, or -1 when a read or a
// delete failed. tableCols are the table's insertable columns: those
// the change does not write keep the values the row held.
func tryReinsert(ctx context.Context, tx *sql.Tx, ns string, tableCols []string, rows []uniqueRow) (int, error) {
	kept := make([]keptRow, len(rows))
	for i, r := range rows {
		var err error
		if kept[i], err = readKept(ctx, tx, ns, tableCols, r.row); err != nil {
			return -1, err
		}
	}
	for _, r := range rows {
		del, err := dml.Delete(ns, r.row.Table, r.row.KeyColumns, [][]any{r.row.KeyValues})
		if err != nil {
			return 0, failure.MarkSevere(fmt.Errorf("table %s: %w", r.row.Table, err))
		}
		if err := exec(ctx, tx, del); err != nil {
			return -1, err
		}
	}
	for i, r := range rows {
		if err := reinsertRow(ctx, tx, ns, r.row, kept[i]); err != nil {
			return i, err
		}
	}
	return 0, nil
}

func reinsertRow(ctx context.Context, tx *sql.Tx, ns string, r mapping.Row, k keptRow) error {
	if !k.old.Valid {
		return insertRow(ctx, tx, ns, r)
	}
	ins, err := dml.InsertKeeping(ns, r.Table, r.Columns, r.Values, k.cols, k.old.String)
	if err != nil {
		return failure.MarkSevere(fmt.Errorf("table %s: %w", r.Table, err))
	}
	return exec(ctx, tx, ins)
}
