package target

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// DML is a target's statement builders, as Writer uses them (each
// target's dml package; PostgreSQL's bound to the session's namespace).
// None may change a row of another primary key than the rows it names,
// Upsert excepted for a table whose only unique key is its primary key.
// A builder's error means the statement can never be built: the record is
// severe.
type DML struct {
	// Upsert inserts rows, updating the row of a key that exists.
	Upsert func(table string, cols, keyCols []string, rows [][]any) (Statement, error)
	// Insert inserts rows: a taken key or unique value fails it.
	Insert func(table string, cols []string, rows [][]any) (Statement, error)
	// Update updates the row of row's key, if any: the row count (found
	// rows, not changed ones) tells whether it exists.
	Update func(table string, cols, keyCols []string, row []any) (Statement, error)
	// Delete deletes the rows of keys; a NULL key value matches NULL.
	Delete func(table string, keyCols []string, keys [][]any) (Statement, error)
	// MaxParams is the most parameters one statement may carry.
	MaxParams int
}

// Writer writes the changes of one batch attempt in a session's
// transaction: the part of a Session's Write both targets share. Every
// error it returns is classified (*Error, *BatchError).
type Writer struct {
	Name     string            // the target's Name, for messages
	Classify func(error) error // the target's classification of its driver's errors
	DML      DML
	Tx       *sql.Tx
}

// UniqueRow is one change of a table with unique keys besides the primary
// key; Idx is its position in the batch's changes.
type UniqueRow struct {
	Idx int
	Row mapping.Row
}

// step is one statement of a batch, or the changes of a table with unique
// keys besides the primary key, written one by one.
type step struct {
	Statement
	unique []UniqueRow
}

// Write writes changes: multi-row statements (steps), and the rows of
// tables with unique keys besides the primary key through unique, which
// returns the rows the target refused by index into changes, with their
// errors. An error fails the whole attempt.
func (w Writer) Write(ctx context.Context, changes []Change, unique func(context.Context, []UniqueRow) (map[int]error, error)) (refused map[int]error, err error) {
	steps, err := w.steps(changes)
	if err != nil {
		return nil, &BatchError{Target: w.Name, Err: err}
	}
	last, rest := ctx, withoutCommit(ctx) // CommitWith: the last statement's only
	for i, st := range steps {
		ctx := rest
		if i == len(steps)-1 {
			ctx = last
		}
		if st.unique != nil {
			f, err := unique(rest, st.unique)
			if err != nil {
				return nil, err
			}
			for idx, e := range f {
				if refused == nil {
					refused = map[int]error{}
				}
				refused[idx] = e
			}
			continue
		}
		if err := w.Exec(ctx, st.Statement); err != nil {
			return nil, err
		}
	}
	return refused, nil
}

// steps groups changes into multi-row statements: one upsert per table
// and column list, one delete per table, in the order in which each group
// first appears, each split to stay under the protocol's parameter limit
// (DML.MaxParams). Rows touch distinct keys (one change per key), so
// within a group their order does not matter. Tables with unique keys
// besides the primary key are the exception: their changes, deletes
// included, form one step at the table's first appearance, in commit
// order, for the target to write one by one.
func (w Writer) steps(changes []Change) ([]step, error) {
	type group struct {
		table   string
		cols    []string
		keyCols []string
		rows    [][]any
		delete  bool
		unique  []UniqueRow
	}
	var order []string
	groups := map[string]*group{}
	for i, p := range changes {
		r := p.Row
		id := "D" + r.Table
		switch {
		case p.Unique:
			id = "R" + r.Table
		case !r.Delete:
			id = "U" + r.Table + "\x00" + strings.Join(r.Columns, "\x00")
		}
		g, ok := groups[id]
		if !ok {
			g = &group{table: r.Table, cols: r.Columns, keyCols: r.KeyColumns, delete: r.Delete}
			groups[id] = g
			order = append(order, id)
		}
		switch {
		case p.Unique:
			g.unique = append(g.unique, UniqueRow{Idx: i, Row: r})
		case r.Delete:
			g.rows = append(g.rows, r.KeyValues)
		default:
			g.rows = append(g.rows, r.Values)
		}
	}
	var out []step
	for _, id := range order {
		g := groups[id]
		if g.unique != nil {
			slices.SortStableFunc(g.unique, func(x, y UniqueRow) int {
				vx, vy := changes[x.Idx].Version, changes[y.Idx].Version
				return cmpBool(vx.After(vy), vy.After(vx))
			})
			out = append(out, step{unique: g.unique})
			continue
		}
		width := len(g.cols)
		if g.delete {
			width = len(g.keyCols)
		}
		per := max(1, w.DML.MaxParams/max(1, width))
		for rows := g.rows; len(rows) > 0; {
			n := min(per, len(rows))
			var st Statement
			var err error
			if g.delete {
				st, err = w.DML.Delete(g.table, g.keyCols, rows[:n])
			} else {
				st, err = w.DML.Upsert(g.table, g.cols, g.keyCols, rows[:n])
			}
			if err != nil {
				return nil, Unbuildable(g.table, err)
			}
			out = append(out, step{Statement: st})
			rows = rows[n:]
		}
	}
	return out, nil
}

// Unbuildable is the error of a statement that cannot be built for table:
// it will never apply, so the record is severe.
func Unbuildable(table string, err error) error {
	return failure.MarkSevere(fmt.Errorf("table %s: %w", table, err))
}

// cmpBool orders false before true.
func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// Commit commits the transaction.
func (w Writer) Commit() error {
	if err := w.Tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", w.Name, w.Classify(err))
	}
	return nil
}

// Rollback rolls the transaction back, if one was started.
func (w Writer) Rollback() error {
	if w.Tx == nil {
		return nil
	}
	return w.Classify(w.Tx.Rollback())
}

// Exec runs st in the transaction; the target's refusal is a
// *BatchError.
func (w Writer) Exec(ctx context.Context, st Statement) error {
	if _, err := w.Tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
		return &BatchError{Target: w.Name, Err: w.Classify(err), SQL: st.SQL}
	}
	return nil
}

// WriteRow writes one change by its primary key alone, so it can never
// touch the row of another key: DELETE by primary key, or UPDATE by
// primary key and, when no row has the key, INSERT.
func (w Writer) WriteRow(ctx context.Context, r mapping.Row) error {
	if r.Delete {
		del, err := w.DML.Delete(r.Table, r.KeyColumns, [][]any{r.KeyValues})
		if err != nil {
			return Unbuildable(r.Table, err)
		}
		return w.Exec(ctx, del)
	}
	up, err := w.DML.Update(r.Table, r.Columns, r.KeyColumns, r.Values)
	if err != nil {
		return Unbuildable(r.Table, err)
	}
	res, err := w.Tx.ExecContext(ctx, up.SQL, up.Args...)
	if err != nil {
		return &BatchError{Target: w.Name, Err: w.Classify(err), SQL: up.SQL}
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return w.Classify(err)
	}
	return w.InsertRow(ctx, r)
}

// InsertRow inserts one change's row.
func (w Writer) InsertRow(ctx context.Context, r mapping.Row) error {
	ins, err := w.DML.Insert(r.Table, r.Columns, [][]any{r.Values})
	if err != nil {
		return Unbuildable(r.Table, err)
	}
	return w.Exec(ctx, ins)
}

// UniqueClashError is a row that could not be written because a row of
// another primary key holds one of its unique values.
type UniqueClashError struct {
	Table string
	Err   error // the target's unique violation
}

func (e *UniqueClashError) Error() string {
	return fmt.Sprintf("table %s: a row with another primary key holds a value of this row's unique index; retried until that row's change is applied: %v", e.Table, e.Err)
}

func (e *UniqueClashError) Unwrap() error { return e.Err }

// Unique is a target's half of writing the rows of a table with unique
// keys besides the primary key (ApplyUnique).
type Unique struct {
	// Write writes one row by its primary key (Writer.WriteRow), leaving
	// the transaction usable when the target refuses it.
	Write func(ctx context.Context, r mapping.Row) error
	// Clash reports the target's error for a unique value held by a row
	// of another key.
	Clash func(err error) bool
	// Reinsert deletes the rows (still clashing, at least two) and
	// inserts them again together, so that values they swap among
	// themselves are free when each is inserted; it returns the rows
	// written.
	Reinsert func(ctx context.Context, rows []UniqueRow) ([]UniqueRow, error)
}

// ApplyUnique writes rows (sorted by commit order) one by one with u's
// statements, each of which can only touch the row of its own primary key,
// so a wrong guess about order costs a retry, never a merge of two rows:
//
//  1. the table's changes run in commit order, deletes included: Spanner
//     enforced the same uniqueness, so a delete or update that frees a value
//     committed before the change that takes it;
//  2. a change that clashes anyway (its batch lacks the change that frees
//     the value, or arrived in another order) is deferred and tried again
//     after the others, for as long as a pass makes progress;
//  3. rows still clashing when a pass makes no progress may be a cycle,
//     such as one transaction swapping the values of two rows: u.Reinsert
//     deletes and inserts them again together;
//  4. what is left fails on its own with the target's message, a
//     retryable *UniqueClashError (the change holding the value has not
//     arrived yet), so it goes to retry/ and the rest of the batch is
//     applied.
//
// A row the target refuses for another reason (a check constraint, a
// missing foreign-key parent, a value too long) fails on its own too.
// Rows refused come back by Idx with their errors; an error means the
// batch failed (a lost connection, a deadlock, a session that could not be
// put back as it was).
func ApplyUnique(ctx context.Context, u Unique, rows []UniqueRow) (map[int]error, error) {
	failed := map[int]error{}
	pending := rows
	for len(pending) > 0 {
		var deferred []UniqueRow
		for _, r := range pending {
			err := u.Write(ctx, r.Row)
			switch {
			case err == nil:
				delete(failed, r.Idx)
			case u.Clash(err):
				deferred = append(deferred, r)
				failed[r.Idx] = &UniqueClashError{Table: r.Row.Table, Err: err}
			case RowLevel(err):
				failed[r.Idx] = err
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
		moved, err := u.Reinsert(ctx, pending)
		if err != nil {
			return nil, err
		}
		for _, r := range moved {
			delete(failed, r.Idx)
		}
	}
	return failed, nil
}

// Upserts are the rows of rows that are not deletes: those a reinsert
// deletes and inserts again. Fewer than two swap nothing: none then.
func Upserts(rows []UniqueRow) []UniqueRow {
	var upserts []UniqueRow
	for _, r := range rows {
		if !r.Row.Delete {
			upserts = append(upserts, r)
		}
	}
	if len(upserts) < 2 {
		return nil
	}
	return upserts
}

// RowLevel reports whether the target refused one statement only:
// everything but a failure of the connection or of the whole transaction
// (WholeBatch, Aborted).
func RowLevel(err error) bool {
	var be *BatchError
	var p *failure.Permanent
	var te *Error
	if errors.As(err, &te) && te.Aborted {
		return false
	}
	return (errors.As(err, &be) || errors.As(err, &p)) && !IsConnection(err)
}

// Unwritten are the columns of table (a table's insertable columns, in
// table order) that a change writing cols leaves out: those a reinsert
// must keep. fold is the target's folding of column names (nil when they
// are case-sensitive).
func Unwritten(table, cols []string, fold func(string) string) []string {
	if fold == nil {
		fold = func(s string) string { return s }
	}
	written := make(map[string]bool, len(cols))
	for _, c := range cols {
		written[fold(c)] = true
	}
	var out []string
	for _, c := range table {
		if !written[fold(c)] {
			out = append(out, c)
		}
	}
	return out
}

// Querier runs queries: a pool, a connection or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Strings runs query, which reads one text column, and returns its values.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
