package postgresql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// Tables with unique indexes besides the primary key.
//
// INSERT ... ON CONFLICT (<primary key>) never merges a row into another
// one, but a clash on another unique index fails the whole statement, and
// in PostgreSQL any error aborts the transaction. Rows of these tables are
// therefore written one by one (target.ApplyUnique, which says in what
// order and how often), each inside a savepoint, with statements that can
// only touch the row of their own primary key:
//
//   - UPDATE ... WHERE <primary key>; a count of 0 means the row does not
//     exist; then a plain INSERT;
//   - a delete is DELETE ... WHERE <primary key>.
//
// A statement PostgreSQL refuses is undone by ROLLBACK TO SAVEPOINT, which
// leaves the transaction usable; a clash with another row's unique value
// is 23505.
//
// Rows still clashing may be a cycle (a transaction swapping two rows'
// values; PostgreSQL checks a non-deferrable unique index row by row, so
// no single UPDATE can swap them). They are deleted and inserted again
// together inside a savepoint (reinsert); a row whose insert fails is
// dropped from the set (back to the savepoint) and the rest tried again.
// A column of the table the change does not carry (Spanner does not have
// it) keeps its value: the row is read and locked before its delete, and
// the insert takes those columns from what was read (dml.InsertKeeping).
// PostgreSQL cannot switch foreign-key actions off for a session as MySQL
// can, so this is not tried when another table's foreign key would
// cascade, set null or set default on the delete; a delete that a foreign
// key forbids fails and is undone.
//
// A row refused for another reason (a check constraint, a missing
// foreign-key parent, a value too long) fails on its own too.

// Savepoints of the unique path.
const (
	rowSavepoint         = "SAVEPOINT revrepl_row"
	rollbackRowSavepoint = "ROLLBACK TO SAVEPOINT revrepl_row"
	releaseRowSavepoint  = "RELEASE SAVEPOINT revrepl_row"
	swapSavepoint        = "SAVEPOINT revrepl_swap"
	rollbackSwap         = "ROLLBACK TO SAVEPOINT revrepl_swap"
	releaseSwap          = "RELEASE SAVEPOINT revrepl_swap"
)

// applyUnique writes rows (sorted by commit order) with w, to namespace
// ns. Rows PostgreSQL refused come back by Idx with their errors; an error
// means the batch failed (a lost connection, a deadlock, a savepoint that
// failed).
func applyUnique(ctx context.Context, w target.Writer, ns string, rows []target.UniqueRow) (map[int]error, error) {
	return target.ApplyUnique(ctx, target.Unique{
		Write: func(ctx context.Context, r mapping.Row) error {
			return inSavepoint(ctx, w.Tx, rowSavepoint, rollbackRowSavepoint, releaseRowSavepoint, func() error {
				return w.WriteRow(ctx, r)
			})
		},
		Clash: IsUniqueViolation,
		Reinsert: func(ctx context.Context, rows []target.UniqueRow) ([]target.UniqueRow, error) {
			return reinsert(ctx, w, ns, rows)
		},
	}, rows)
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
	if !target.RowLevel(ferr) {
		return ferr
	}
	if _, err := tx.ExecContext(ctx, rollback); err != nil {
		return fmt.Errorf("PostgreSQL: %s: %w", rollback, Classify(err))
	}
	return ferr
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
func reinsert(ctx context.Context, w target.Writer, ns string, rows []target.UniqueRow) ([]target.UniqueRow, error) {
	upserts := target.Upserts(rows)
	if upserts == nil {
		return nil, nil
	}
	table := upserts[0].Row.Table
	var actions bool
	if err := w.Tx.QueryRowContext(ctx, deleteActions, ns, table).Scan(&actions); err != nil {
		return nil, fmt.Errorf("PostgreSQL: reading the foreign keys on table %s: %w", table, Classify(err))
	}
	if actions {
		return nil, nil
	}
	cols, err := target.Strings(ctx, w.Tx, insertableColumnsQuery, ns, table)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: reading the columns of table %s: %w", table, Classify(err))
	}
	for len(upserts) > 1 {
		var bad int
		err := inSavepoint(ctx, w.Tx, swapSavepoint, rollbackSwap, releaseSwap, func() error {
			var err error
			bad, err = tryReinsert(ctx, w, ns, cols, upserts)
			return err
		})
		switch {
		case err == nil:
			return upserts, nil
		case !target.RowLevel(err):
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

// keptRow is what a row's insert takes from the row it replaces: the
// columns the change does not write, and the old row's text (invalid when
// there was no row).
type keptRow struct {
	cols []string
	old  sql.NullString
}

// readKept reads and locks, before the delete, the row a change replaces,
// when the table has columns the change does not write (PostgreSQL's
// quoted names are case-sensitive).
func readKept(ctx context.Context, tx *sql.Tx, ns string, tableCols []string, r mapping.Row) (keptRow, error) {
	k := keptRow{cols: target.Unwritten(tableCols, r.Columns, nil)}
	if len(k.cols) == 0 {
		return k, nil
	}
	q, err := dml.LockRowText(ns, r.Table, r.KeyColumns)
	if err != nil {
		return k, target.Unbuildable(r.Table, err)
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
func tryReinsert(ctx context.Context, w target.Writer, ns string, tableCols []string, rows []target.UniqueRow) (int, error) {
	kept := make([]keptRow, len(rows))
	for i, r := range rows {
		var err error
		if kept[i], err = readKept(ctx, w.Tx, ns, tableCols, r.Row); err != nil {
			return -1, err
		}
	}
	for _, r := range rows {
		del, err := dml.Delete(ns, r.Row.Table, r.Row.KeyColumns, [][]any{r.Row.KeyValues})
		if err != nil {
			return 0, target.Unbuildable(r.Row.Table, err)
		}
		if err := w.Exec(ctx, del); err != nil {
			return -1, err
		}
	}
	for i, r := range rows {
		if err := reinsertRow(ctx, w, ns, r.Row, kept[i]); err != nil {
			return i, err
		}
	}
	return 0, nil
}

func reinsertRow(ctx context.Context, w target.Writer, ns string, r mapping.Row, k keptRow) error {
	if !k.old.Valid {
		return w.InsertRow(ctx, r)
	}
	ins, err := dml.InsertKeeping(ns, r.Table, r.Columns, r.Values, k.cols, k.old.String)
	if err != nil {
		return target.Unbuildable(r.Table, err)
	}
	return w.Exec(ctx, ins)
}
