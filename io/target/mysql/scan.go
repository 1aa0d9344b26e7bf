package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Scanner implements target.Scanner: the canonical forms are convert's
// (see convert/canonical.go); rows are read over the text protocol.
func (Target) Scanner() target.Scanner { return scanner{} }

type scanner struct{}

func (scanner) Canonical(col schema.SourceColumn, v any) (verify.Value, error) {
	return convert.CanonicalBound(col, v)
}

// Splits numbers the rows in key order and keeps every rowsPerRange-th key:
// one pass over the primary key index, without holding the keys anywhere.
func (scanner) Splits(ctx context.Context, db *sql.DB, t schema.SourceTable, rowsPerRange int) ([][]verify.Value, error) {
	pk, err := keyColumns(t)
	if err != nil {
		return nil, err
	}
	if rowsPerRange < 1 {
		rowsPerRange = 1
	}
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+dml.QuoteIdent(t.Name)).Scan(&n); err != nil {
		return nil, fmt.Errorf("counting the rows of %s: %w", t.Name, err)
	}
	if n <= int64(rowsPerRange) {
		return nil, nil
	}
	names := make([]string, len(pk))
	exprs := make([]string, len(pk))
	for i, c := range pk {
		names[i] = dml.QuoteIdent(c.Name)
		exprs[i] = convert.StoredExpr(c, names[i])
	}
	order := strings.Join(names, ", ")
	q := fmt.Sprintf("SELECT %s FROM (SELECT %s, ROW_NUMBER() OVER (ORDER BY %s) AS `verify_rn` FROM %s) AS `verify_split` WHERE MOD(`verify_rn`, ?) = 0 ORDER BY %s",
		strings.Join(exprs, ", "), order, order, dml.QuoteIdent(t.Name), order)
	var out [][]verify.Value
	err = scanRows(ctx, db, q, []any{rowsPerRange}, pk, func(vs []verify.Value) error {
		out = append(out, vs)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("splitting %s: %w", t.Name, err)
	}
	// A split at the last row would leave an empty range.
	if n%int64(rowsPerRange) == 0 && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out, nil
}

func (scanner) ReadRange(ctx context.Context, db *sql.DB, t schema.SourceTable, r target.KeyRange, fn func(verify.Row) error) error {
	pk, err := keyColumns(t)
	if err != nil {
		return err
	}
	var where []string
	var args []any
	if r.From != nil {
		w, a, err := bound(pk, r.From, ">", ">=")
		if err != nil {
			return err
		}
		where, args = append(where, w), append(args, a...)
	}
	if r.To != nil {
		last := "<"
		if r.Through {
			last = "<="
		}
		w, a, err := bound(pk, r.To, "<", last)
		if err != nil {
			return err
		}
		where, args = append(where, w), append(args, a...)
	}
	return readRows(ctx, db, t, pk, where, args, fn)
}

// ReadKey implements target.Scanner: each written key column equal to its
// value bound back, a FLOAT or DOUBLE one within convert.KeyBounds, then
// the rows whose canonical key is key.
func (scanner) ReadKey(ctx context.Context, db *sql.DB, t schema.SourceTable, key []verify.Value, fn func(verify.Row) error) error {
	pk, err := keyColumns(t)
	if err != nil {
		return err
	}
	names := target.WrittenKey(t)
	if len(key) != len(names) {
		return fmt.Errorf("table %s: a key of %d values for %d written key columns", t.Name, len(key), len(names))
	}
	var where []string
	var args []any
	for i, n := range names {
		c, _ := t.Column(n)
		q := dml.QuoteIdent(c.Name)
		lo, hi, ranged, err := convert.KeyBounds(c, key[i])
		switch {
		case err != nil:
			return err
		case key[i].Null:
			where = append(where, q+" IS NULL")
		case ranged:
			where, args = append(where, q+" BETWEEN ? AND ?"), append(args, lo, hi)
		default:
			v, err := convert.BindCanonical(c, key[i])
			if err != nil {
				return fmt.Errorf("key column %s: %w", c.Name, err)
			}
			where, args = append(where, q+" = "+convert.KeyPlaceholder(c)), append(args, v)
		}
	}
	return readRows(ctx, db, t, pk, where, args, func(r verify.Row) error {
		if !target.HasKey(r, names, key) {
			return nil
		}
		return fn(r)
	})
}

// readRows calls fn with every row of t that where (ANDed) selects, in
// primary-key order: its non-generated columns, in canonical form.
func readRows(ctx context.Context, db *sql.DB, t schema.SourceTable, pk []schema.SourceColumn, where []string, args []any, fn func(verify.Row) error) error {
	var cols []schema.SourceColumn
	var names []string
	for _, c := range t.Columns {
		if !c.Generated {
			cols = append(cols, c)
			names = append(names, c.Name)
		}
	}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = convert.StoredExpr(c, dml.QuoteIdent(c.Name))
	}
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), dml.QuoteIdent(t.Name))
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	order := make([]string, len(pk))
	for i, c := range pk {
		order[i] = dml.QuoteIdent(c.Name)
	}
	q += " ORDER BY " + strings.Join(order, ", ")
	err := scanRows(ctx, db, q, args, cols, func(vs []verify.Value) error {
		return fn(verify.Row{Columns: names, Values: vs})
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.Name, err)
	}
	return nil
}

// bound is the condition of a key range bound on the columns pk, expanded
// as (a op v1) OR (a = v1 AND b op v2) ... with last for the last column,
// a form both MySQL and MariaDB turn into an index range.
func bound(pk []schema.SourceColumn, vals []verify.Value, op, last string) (string, []any, error) {
	if len(vals) != len(pk) {
		return "", nil, fmt.Errorf("key range bound has %d values for %d key columns", len(vals), len(pk))
	}
	bind := make([]any, len(pk))
	for i, c := range pk {
		v, err := convert.BindCanonical(c, vals[i])
		if err != nil {
			return "", nil, fmt.Errorf("key column %s: %w", c.Name, err)
		}
		bind[i] = v
	}
	var ors []string
	var args []any
	for i := range pk {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, dml.QuoteIdent(pk[j].Name)+" = "+convert.KeyPlaceholder(pk[j]))
			args = append(args, bind[j])
		}
		o := op
		if i == len(pk)-1 {
			o = last
		}
		ands = append(ands, dml.QuoteIdent(pk[i].Name)+" "+o+" "+convert.KeyPlaceholder(pk[i]))
		args = append(args, bind[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

func keyColumns(t schema.SourceTable) ([]schema.SourceColumn, error) {
	if len(t.PrimaryKey) == 0 {
		return nil, fmt.Errorf("table %s has no primary key", t.Name)
	}
	pk := make([]schema.SourceColumn, len(t.PrimaryKey))
	for i, n := range t.PrimaryKey {
		c, ok := t.Column(n)
		if !ok {
			return nil, fmt.Errorf("table %s: primary key column %s is not among its columns", t.Name, n)
		}
		pk[i] = c
	}
	return pk, nil
}

// scanRows runs q and calls fn with each row's canonical values of cols.
func scanRows(ctx context.Context, db *sql.DB, q string, args []any, cols []schema.SourceColumn, fn func([]verify.Value) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(cols))
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
			var b []byte
			if raw[i] != nil {
				b = []byte(raw[i])
			}
			v, err := convert.CanonicalStored(c, b)
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
