package postgresql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Scanner implements target.Scanner: the canonical forms are convert's
// (see convert/canonical.go). Tables are read in the pool's namespace (the
// shard's, remembered by Open and Acquire; current_schema() for a pool
// opened elsewhere), in read-only transactions whose output settings
// (convert.StoredSettings) fix the text forms.
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
	var out [][]verify.Value
	err = readTx(ctx, db, func(tx *sql.Tx, ns string) error {
		table := dml.Table(ns, t.Name)
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			return fmt.Errorf("counting the rows: %w", err)
		}
		if n <= int64(rowsPerRange) {
			return nil
		}
		names := make([]string, len(pk))
		exprs := make([]string, len(pk))
		for i, c := range pk {
			names[i] = dml.QuoteIdent(c.Name)
			exprs[i] = convert.StoredExpr(c, names[i])
		}
		order := strings.Join(names, ", ")
		q := fmt.Sprintf(`SELECT %s FROM (SELECT %s, row_number() OVER (ORDER BY %s) AS verify_rn FROM %s) AS verify_split WHERE verify_rn %% $1 = 0 ORDER BY %s`,
			strings.Join(exprs, ", "), order, order, table, order)
		err := scanRows(ctx, tx, q, []any{int64(rowsPerRange)}, pk, func(vs []verify.Value) error {
			out = append(out, vs)
			return nil
		})
		if err != nil {
			return err
		}
		// A split at the last row would leave an empty range.
		if n%int64(rowsPerRange) == 0 && len(out) > 0 {
			out = out[:len(out)-1]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: splitting %s: %w", t.Name, Classify(err))
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
		w, a, err := bound(pk, r.From, ">=", len(args))
		if err != nil {
			return err
		}
		where, args = append(where, w), append(args, a...)
	}
	if r.To != nil {
		op := "<"
		if r.Through {
			op = "<="
		}
		w, a, err := bound(pk, r.To, op, len(args))
		if err != nil {
			return err
		}
		where, args = append(where, w), append(args, a...)
	}
	return readRows(ctx, db, t, pk, where, args, fn)
}

// ReadKey implements target.Scanner: each written key column equal to its
// value bound back (the forms bind back exactly), then the rows whose
// canonical key is key.
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
		if key[i].Null {
			where = append(where, q+" IS NULL")
			continue
		}
		v, err := convert.BindCanonical(c, key[i])
		if err != nil {
			return fmt.Errorf("key column %s: %w", c.Name, err)
		}
		args = append(args, v)
		where = append(where, fmt.Sprintf("%s = $%d", q, len(args)))
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
	order := make([]string, len(pk))
	for i, c := range pk {
		order[i] = dml.QuoteIdent(c.Name)
	}
	err := readTx(ctx, db, func(tx *sql.Tx, ns string) error {
		q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), dml.Table(ns, t.Name))
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		q += " ORDER BY " + strings.Join(order, ", ")
		return scanRows(ctx, tx, q, args, cols, func(vs []verify.Value) error {
			return fn(verify.Row{Columns: names, Values: vs})
		})
	})
	if err != nil {
		return fmt.Errorf("PostgreSQL: reading %s: %w", t.Name, Classify(err))
	}
	return nil
}

// bound is the condition of a key range bound on the columns pk: a
// row-value comparison, ("a", "b") >= ($1, $2), which PostgreSQL compares
// column by column in key order and turns into a range of the primary key
// index. Placeholders are numbered after the first n.
func bound(pk []schema.SourceColumn, vals []verify.Value, op string, n int) (string, []any, error) {
	if len(vals) != len(pk) {
		return "", nil, fmt.Errorf("key range bound has %d values for %d key columns", len(vals), len(pk))
	}
	cols := make([]string, len(pk))
	ph := make([]string, len(pk))
	args := make([]any, len(pk))
	for i, c := range pk {
		v, err := convert.BindCanonical(c, vals[i])
		if err != nil {
			return "", nil, fmt.Errorf("key column %s: %w", c.Name, err)
		}
		cols[i] = dml.QuoteIdent(c.Name)
		ph[i] = fmt.Sprintf("$%d", n+i+1)
		args[i] = v
	}
	return fmt.Sprintf("(%s) %s (%s)", strings.Join(cols, ", "), op, strings.Join(ph, ", ")), args, nil
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

// readTx runs fn in a read-only transaction on db with the output settings
// of convert.StoredSettings (local to the transaction: the pool's
// connections keep theirs), passing the namespace to read.
func readTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx, ns string) error) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	sets := make([]string, len(convert.StoredSettings))
	args := make([]any, 0, 2*len(convert.StoredSettings))
	for i, s := range convert.StoredSettings {
		sets[i] = fmt.Sprintf("set_config($%d, $%d, true)", 2*i+1, 2*i+2)
		args = append(args, s[0], s[1])
	}
	var current sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT current_schema(), "+strings.Join(sets, ", "), args...).Scan(append([]any{&current}, discard(len(sets))...)...); err != nil {
		return fmt.Errorf("setting up the read: %w", err)
	}
	ns := current.String
	if v, ok := namespaces.Load(db); ok {
		ns = v.(string)
	} else if !current.Valid {
		return fmt.Errorf("the connection has no current schema (search_path names none that exists)")
	}
	if err := fn(tx, ns); err != nil {
		return err
	}
	return tx.Commit()
}

func discard(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = new(sql.NullString)
	}
	return out
}

// scanRows runs q and calls fn with each row's canonical values of cols.
func scanRows(ctx context.Context, tx *sql.Tx, q string, args []any, cols []schema.SourceColumn, fn func([]verify.Value) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	raw := make([]sql.NullString, len(cols))
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
			var s *string
			if raw[i].Valid {
				s = &raw[i].String
			}
			v, err := convert.CanonicalStored(c, s)
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
