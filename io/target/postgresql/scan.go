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

// scanSQL is PostgreSQL's half of the reads (target.ScanSQL).
var scanSQL = target.ScanSQL[sql.NullString]{
	Quote:  dml.QuoteIdent,
	Stored: convert.StoredExpr,
	Canonical: func(c schema.SourceColumn, raw *sql.NullString) (verify.Value, error) {
		var s *string
		if raw.Valid {
			s = &raw.String
		}
		return convert.CanonicalStored(c, s)
	},
	Bind:  convert.BindCanonical,
	Bound: bound,
	Split: func(exprs, order, table string) string {
		return fmt.Sprintf(`SELECT %s FROM (SELECT %s, row_number() OVER (ORDER BY %s) AS verify_rn FROM %s) AS verify_split WHERE verify_rn %% $1 = 0 ORDER BY %s`,
			exprs, order, order, table, order)
	},
	SplitArg: func(rowsPerRange int) any { return int64(rowsPerRange) },
}

// Splits numbers the rows in key order and keeps every rowsPerRange-th key:
// one pass over the primary key index, without holding the keys anywhere.
func (scanner) Splits(ctx context.Context, db *sql.DB, t schema.SourceTable, rowsPerRange int) ([][]verify.Value, error) {
	pk, err := t.KeyColumns()
	if err != nil {
		return nil, err
	}
	var out [][]verify.Value
	err = readTx(ctx, db, func(tx *sql.Tx, ns string) error {
		table := dml.Table(ns, t.Name)
		var err error
		out, err = target.Splits(rowsPerRange, func() (int64, error) {
			var n int64
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				return 0, fmt.Errorf("counting the rows: %w", err)
			}
			return n, nil
		}, func(rowsPerRange int) ([][]verify.Value, error) {
			q, args := scanSQL.SplitQuery(pk, table, rowsPerRange)
			return scanSQL.Keys(ctx, tx, q, args, pk)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: splitting %s: %w", t.Name, Classify(err))
	}
	return out, nil
}

func (scanner) ReadRange(ctx context.Context, db *sql.DB, t schema.SourceTable, r target.KeyRange, fn func(verify.Row) error) error {
	pk, err := t.KeyColumns()
	if err != nil {
		return err
	}
	cols, names := target.ReadColumns(t)
	rr, err := scanSQL.Range(pk, cols, r)
	if err != nil {
		return err
	}
	err = readTx(ctx, db, func(tx *sql.Tx, ns string) error {
		return scanSQL.ScanRows(ctx, tx, rr.Query(dml.Table(ns, t.Name)), rr.Args, cols, func(vs []verify.Value) error {
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
func bound(_ []schema.SourceColumn, cols []string, bind []any, _, last string, n int) (string, []any) {
	ph := make([]string, len(cols))
	for i := range cols {
		ph[i] = fmt.Sprintf("$%d", n+i+1)
	}
	return fmt.Sprintf("(%s) %s (%s)", strings.Join(cols, ", "), last, strings.Join(ph, ", ")), bind
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

// ReadKey implements target.Scanner: each written key column equal to its
// value bound back (the forms bind back exactly), then the rows whose
// canonical key is key.
func (scanner) ReadKey(ctx context.Context, db *sql.DB, t schema.SourceTable, key []verify.Value, fn func(verify.Row) error) error {
	pk, err := t.KeyColumns()
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
	cols, colNames := target.ReadColumns(t)
	rr := scanSQL.Where(pk, cols, where, args)
	err = readTx(ctx, db, func(tx *sql.Tx, ns string) error {
		return scanSQL.ScanRows(ctx, tx, rr.Query(dml.Table(ns, t.Name)), rr.Args, cols, func(vs []verify.Value) error {
			r := verify.Row{Columns: colNames, Values: vs}
			if !target.HasKey(r, names, key) {
				return nil
			}
			return fn(r)
		})
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.Name, err)
	}
	return nil
}
