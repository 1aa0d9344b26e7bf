package target

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Scanner is the reading side of a target, for runMode=verify: it reads a
// table back in primary-key ranges, every value in the target's canonical
// text form, and puts the values the writer binds into that same form, so
// pure/verify compares text with text.
//
// The canonical form is the target's to define; it must make a value the
// writer binds (Values().Value's result, for the column) and the value the
// column returns once that was written give the same text, and different
// stored values different texts (up to what the type keeps: a target may
// compare floating-point values to 15 significant digits, say). The db
// arguments are pools from Target.Acquire.
type Scanner interface {
	// Canonical is the canonical form of v, a value the writer binds for
	// col (nil is NULL).
	Canonical(col schema.SourceColumn, v any) (verify.Value, error)
	// Splits returns primary keys of t, ascending, that cut it into
	// ranges of about rowsPerRange rows (none for a smaller table), for
	// reading a table in parallel.
	Splits(ctx context.Context, db *sql.DB, t schema.SourceTable, rowsPerRange int) ([][]verify.Value, error)
	// ReadRange calls fn with every row of t in r, in primary-key order:
	// its non-generated columns in table order, values in canonical form.
	ReadRange(ctx context.Context, db *sql.DB, t schema.SourceTable, r KeyRange, fn func(verify.Row) error) error
	// ReadKey calls fn with the rows of t whose written key (WrittenKey)
	// has the canonical values key: the row of a join key, as ReadRange
	// read it. That is one row, or more where the canonical form merges
	// stored keys (a MySQL DOUBLE's 15 digits). The key is matched by its
	// canonical form, not by binding it back: a form that rounds (that
	// DOUBLE) binds back as another value.
	ReadKey(ctx context.Context, db *sql.DB, t schema.SourceTable, key []verify.Value, fn func(verify.Row) error) error
	// ShadowVersions reads the versions the shard's shadow table t
	// (shadowTableLocation=source) holds for keys, keyed by string(Hash);
	// keys never applied are absent. It takes no locks: the in-flight
	// rule of verify reads beside the writer, which must not wait for it.
	ShadowVersions(ctx context.Context, db *sql.DB, t ShadowTable, keys []ShadowKey) (map[string]newer.Version, error)
}

// KeyRange is a range of primary keys, as Splits returns them: From
// (inclusive) to To (exclusive; inclusive when Through). A nil bound is
// open. From = To with Through reads one key.
type KeyRange struct {
	From, To []verify.Value
	Through  bool
}

// ScanSQL is a target's half of reading a table back (its Scanner): the
// SQL of its dialect and the canonical forms of its values. Raw is what
// its driver scans a column's text into (sql.RawBytes, sql.NullString).
// The other half, here, is the same for every target: which columns a row
// carries, the key range's conditions, every how many rows a split, the
// rows turned into canonical values.
type ScanSQL[Raw any] struct {
	// Quote quotes an identifier.
	Quote func(name string) string
	// Stored selects column c, quoted as q, in the form Canonical reads.
	Stored func(c schema.SourceColumn, q string) string
	// Canonical is the canonical form of a column's value as scanned.
	Canonical func(c schema.SourceColumn, raw *Raw) (verify.Value, error)
	// Bind is the value to bind for the canonical key value v of c.
	Bind func(c schema.SourceColumn, v verify.Value) (any, error)
	// Bound is the condition that the key columns pk, quoted as cols, are
	// after (op ">", last ">=") or before (op "<", last "<" or "<=") the
	// key bound as args, in key order, with the arguments it binds; op is
	// for every column but the last, in a target that expands the
	// comparison column by column. Its placeholders are numbered after
	// the first n of the query.
	Bound func(pk []schema.SourceColumn, cols []string, args []any, op, last string, n int) (string, []any)
	// Split is the query of every rowsPerRange-th key (its one argument,
	// from SplitArg) in key order: the key columns selected as exprs, the
	// table ordered by order.
	Split    func(exprs, order, table string) string
	SplitArg func(rowsPerRange int) any
}

// ReadColumns are the columns of t a verify row carries, its non-generated
// ones in table order, and their names.
func ReadColumns(t schema.SourceTable) ([]schema.SourceColumn, []string) {
	var cols []schema.SourceColumn
	var names []string
	for _, c := range t.Columns {
		if !c.Generated {
			cols = append(cols, c)
			names = append(names, c.Name)
		}
	}
	return cols, names
}

// Splits is the frame of a Scanner's Splits: with n the table's row count
// (count), none when it has no more than rowsPerRange (at least 1) rows;
// else the keys split reads, every rowsPerRange-th in key order, less a
// split at the last row, which would leave an empty range.
func Splits(rowsPerRange int, count func() (int64, error), split func(rowsPerRange int) ([][]verify.Value, error)) ([][]verify.Value, error) {
	rowsPerRange = max(rowsPerRange, 1)
	n, err := count()
	if err != nil {
		return nil, err
	}
	if n <= int64(rowsPerRange) {
		return nil, nil
	}
	out, err := split(rowsPerRange)
	if err != nil {
		return nil, err
	}
	if n%int64(rowsPerRange) == 0 && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out, nil
}

// SplitQuery is the query and argument of Splits' split: every
// rowsPerRange-th key of table (quoted), in the form Canonical reads.
func (s ScanSQL[Raw]) SplitQuery(pk []schema.SourceColumn, table string, rowsPerRange int) (string, []any) {
	names := make([]string, len(pk))
	exprs := make([]string, len(pk))
	for i, c := range pk {
		names[i] = s.Quote(c.Name)
		exprs[i] = s.Stored(c, names[i])
	}
	order := strings.Join(names, ", ")
	return s.Split(strings.Join(exprs, ", "), order, table), []any{s.SplitArg(rowsPerRange)}
}

// RangeRead is ReadRange's query of the rows of a key range, for a table
// named later (Query).
type RangeRead struct {
	exprs, where, order string
	Args                []any
}

// Query is the query of the rows of table (quoted).
func (r RangeRead) Query(table string) string {
	return "SELECT " + r.exprs + " FROM " + table + r.where + " ORDER BY " + r.order
}

// Range is the read of the columns cols of the rows in r, in primary-key
// order (pk).
func (s ScanSQL[Raw]) Range(pk, cols []schema.SourceColumn, r KeyRange) (RangeRead, error) {
	var where []string
	var args []any
	if r.From != nil {
		w, a, err := s.bound(pk, r.From, ">", ">=", len(args))
		if err != nil {
			return RangeRead{}, err
		}
		where, args = append(where, w), append(args, a...)
	}
	if r.To != nil {
		last := "<"
		if r.Through {
			last = "<="
		}
		w, a, err := s.bound(pk, r.To, "<", last, len(args))
		if err != nil {
			return RangeRead{}, err
		}
		where, args = append(where, w), append(args, a...)
	}
	return s.Where(pk, cols, where, args), nil
}

// Where is the read of the columns cols of the rows that the conditions
// where (ANDed, binding args) select, in primary-key order (pk): Range's
// and a Scanner's ReadKey's.
func (s ScanSQL[Raw]) Where(pk, cols []schema.SourceColumn, where []string, args []any) RangeRead {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = s.Stored(c, s.Quote(c.Name))
	}
	rr := RangeRead{exprs: strings.Join(exprs, ", "), Args: args}
	if len(where) > 0 {
		rr.where = " WHERE " + strings.Join(where, " AND ")
	}
	order := make([]string, len(pk))
	for i, c := range pk {
		order[i] = s.Quote(c.Name)
	}
	rr.order = strings.Join(order, ", ")
	return rr
}

// bound is the condition of a key range bound vals on the columns pk,
// with its arguments.
func (s ScanSQL[Raw]) bound(pk []schema.SourceColumn, vals []verify.Value, op, last string, n int) (string, []any, error) {
	if len(vals) != len(pk) {
		return "", nil, fmt.Errorf("key range bound has %d values for %d key columns", len(vals), len(pk))
	}
	cols := make([]string, len(pk))
	bind := make([]any, len(pk))
	for i, c := range pk {
		v, err := s.Bind(c, vals[i])
		if err != nil {
			return "", nil, fmt.Errorf("key column %s: %w", c.Name, err)
		}
		cols[i] = s.Quote(c.Name)
		bind[i] = v
	}
	w, args := s.Bound(pk, cols, bind, op, last, n)
	return w, args, nil
}

// Keys runs query on q and returns its rows' canonical values of the key
// columns pk.
func (s ScanSQL[Raw]) Keys(ctx context.Context, q Querier, query string, args []any, pk []schema.SourceColumn) ([][]verify.Value, error) {
	var out [][]verify.Value
	err := s.ScanRows(ctx, q, query, args, pk, func(vs []verify.Value) error {
		out = append(out, vs)
		return nil
	})
	return out, err
}

// ScanRows runs query on q and calls fn with each row's values of cols in
// canonical form.
func (s ScanSQL[Raw]) ScanRows(ctx context.Context, q Querier, query string, args []any, cols []schema.SourceColumn, fn func([]verify.Value) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	raw := make([]Raw, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		vs := make([]verify.Value, len(cols))
		for i, c := range cols {
			v, err := s.Canonical(c, &raw[i])
			if err != nil {
				return err
			}
			vs[i] = v
		}
		if err := fn(vs); err != nil {
			return err
		}
	}
	return rows.Err()

}

// WrittenKey is the primary key of t as the writer binds it and as
// runMode=verify joins rows by: the columns the target generates (a
// stored generated column in the key) left out.
func WrittenKey(t schema.SourceTable) []string {
	var out []string
	for _, n := range t.PrimaryKey {
		if c, ok := t.Column(n); ok && !c.Generated {
			out = append(out, n)
		}
	}
	return out
}

// HasKey reports whether row's columns cols have the values key
// (ReadKey's final test, after a read that may match more).
func HasKey(row verify.Row, cols []string, key []verify.Value) bool {
	if len(cols) != len(key) {
		return false
	}
	for i, c := range cols {
		if v, ok := row.Get(c); !ok || v != key[i] {
			return false
		}
	}
	return true
}
