package sink

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/transforms/dml"
	"github.com/revrepl/spanner-to-sourcedb/transforms/errclass"
	"github.com/revrepl/spanner-to-sourcedb/transforms/mapping"
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
//   - then, for an absent row, a plain INSERT.
//
// Either fails with MySQL's duplicate-entry error (1062) when a unique value
// is held by a row of another key. InnoDB then undoes only that statement,
// so the transaction goes on. Which rows clash depends on order, so:
//
//  1. deletes of the batch run before any upsert (they only free values);
//  2. upserts run in commit order; one that clashes is deferred and tried
//     again after the others, for as long as a pass makes progress: a
//     change that frees a value (an update to another value) then runs
//     before the one that takes it, whatever order they arrived in;
//  3. rows still clashing when a pass makes no progress may be a cycle,
//     such as one transaction swapping the values of two rows. They are
//     deleted and inserted again together, inside a savepoint, with
//     foreign-key checks off so that no ON DELETE action fires; if that
//     fails too, the savepoint is rolled back and each of them fails on
//     its own with MySQL's message, a retryable error (the change holding
//     the value has not arrived yet): it goes to retry/ and the rest of the
//     batch is applied.
//
// No statement here can write into a row with another primary key, so a
// wrong guess about order costs a retry, never a merge.

// uniqueRow is one upsert of a table with secondary unique indexes; idx is
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

// applyUnique writes rows (sorted by commit order) in tx. Rows that still
// clash come back by idx; an error means the batch failed (a *BatchError
// for a statement MySQL rejected for another reason).
func applyUnique(ctx context.Context, tx *sql.Tx, rows []uniqueRow) (map[int]error, error) {
	pending := rows
	var clashes map[int]error
	for len(pending) > 0 {
		var deferred []uniqueRow
		clashes = map[int]error{}
		for _, r := range pending {
			err := upsertRow(ctx, tx, r.row)
			if errclass.IsDuplicateKey(err) {
				deferred = append(deferred, r)
				clashes[r.idx] = &UniqueClashError{Table: r.row.Table, Err: err}
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		if len(deferred) == len(pending) {
			break
		}
		pending = deferred
	}
	if len(pending) == 0 {
		return nil, nil
	}
	if len(pending) > 1 {
		moved, err := reinsert(ctx, tx, pending)
		if err != nil {
			return nil, err
		}
		if moved {
			return nil, nil
		}
	}
	return clashes, nil
}

// upsertRow writes one row: UPDATE by primary key, INSERT if absent.
func upsertRow(ctx context.Context, tx *sql.Tx, r mapping.Row) error {
	up, err := dml.Update(r.Table, r.Columns, r.KeyColumns, r.Values)
	if err != nil {
		return errclass.MarkPermanent(fmt.Errorf("table %s: %w", r.Table, err))
	}
	res, err := tx.ExecContext(ctx, up.SQL, up.Args...)
	if err != nil {
		return &BatchError{Err: err, SQL: up.SQL}
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	ins, err := dml.Insert(r.Table, r.Columns, [][]any{r.Values})
	if err != nil {
		return errclass.MarkPermanent(fmt.Errorf("table %s: %w", r.Table, err))
	}
	if _, err := tx.ExecContext(ctx, ins.SQL, ins.Args...); err != nil {
		return &BatchError{Err: err, SQL: ins.SQL}
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
)

// reinsert deletes rows and inserts them again, so that values they swap
// among themselves are free when each is inserted. It reports false, with
// the transaction as it was, when some row still clashes.
func reinsert(ctx context.Context, tx *sql.Tx, rows []uniqueRow) (moved bool, err error) {
	for _, q := range []string{savepoint, saveFKChecks, fkChecksOff} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return false, fmt.Errorf("MySQL: %s: %w", q, err)
		}
	}
	defer func() {
		if _, rerr := tx.ExecContext(ctx, restoreFKChecks); rerr != nil && err == nil {
			moved, err = false, fmt.Errorf("MySQL: %s: %w", restoreFKChecks, rerr)
		}
	}()
	for _, r := range rows {
		del, err := dml.Delete(r.row.Table, r.row.KeyColumns, [][]any{r.row.KeyValues})
		if err != nil {
			return false, errclass.MarkPermanent(fmt.Errorf("table %s: %w", r.row.Table, err))
		}
		if _, err := tx.ExecContext(ctx, del.SQL, del.Args...); err != nil {
			return false, &BatchError{Err: err, SQL: del.SQL}
		}
	}
	for _, r := range rows {
		ins, err := dml.Insert(r.row.Table, r.row.Columns, [][]any{r.row.Values})
		if err != nil {
			return false, errclass.MarkPermanent(fmt.Errorf("table %s: %w", r.row.Table, err))
		}
		_, err = tx.ExecContext(ctx, ins.SQL, ins.Args...)
		if errclass.IsDuplicateKey(err) {
			if _, err := tx.ExecContext(ctx, rollbackSavepoint); err != nil {
				return false, fmt.Errorf("MySQL: %s: %w", rollbackSavepoint, err)
			}
			return false, nil
		}
		if err != nil {
			return false, &BatchError{Err: err, SQL: ins.SQL}
		}
	}
	if _, err := tx.ExecContext(ctx, releaseSavepoint); err != nil {
		return false, fmt.Errorf("MySQL: %s: %w", releaseSavepoint, err)
	}
	return true, nil
}
