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

// scanSQL is MySQL's half of the reads (target.ScanSQL), over the text
// protocol.
var scanSQL = target.ScanSQL[sql.RawBytes]{
	Quote:  dml.QuoteIdent,
	Stored: convert.StoredExpr,
	Canonical: func(c schema.SourceColumn, raw *sql.RawBytes) (verify.Value, error) {
		var b []byte
		if *raw != nil {
			b = []byte(*raw)
		}
		return convert.CanonicalStored(c, b)
	},
	Bind:  convert.BindCanonical,
	Bound: bound,
	Split: func(exprs, order, table string) string {
		return fmt.Sprintf("SELECT %s FROM (SELECT %s, ROW_NUMBER() OVER (ORDER BY %s) AS `verify_rn` FROM %s) AS `verify_split` WHERE MOD(`verify_rn`, ?) = 0 ORDER BY %s",
			exprs, order, order, table, order)
	},
	SplitArg: func(rowsPerRange int) any { return rowsPerRange },
}

// Splits numbers the rows in key order and keeps every rowsPerRange-th key:
// one pass over the primary key index, without holding the keys anywhere.
func (scanner) Splits(ctx context.Context, db *sql.DB, t schema.SourceTable, rowsPerRange int) ([][]verify.Value, error) {
	pk, err := t.KeyColumns()
	if err != nil {
		return nil, err
	}
	table := dml.QuoteIdent(t.Name)
	return target.Splits(rowsPerRange, func() (int64, error) {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			return 0, fmt.Errorf("counting the rows of %s: %w", t.Name, err)
		}
		return n, nil
	}, func(rowsPerRange int) ([][]verify.Value, error) {
		q, args := scanSQL.SplitQuery(pk, table, rowsPerRange)
		out, err := scanSQL.Keys(ctx, db, q, args, pk)
		if err != nil {
			return nil, fmt.Errorf("splitting %s: %w", t.Name, err)
		}
		return out, nil
	})
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
	err = scanSQL.ScanRows(ctx, db, rr.Query(dml.QuoteIdent(t.Name)), rr.Args, cols, func(vs []verify.Value) error {
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
func bound(pk []schema.SourceColumn, cols []string, bind []any, op, last string, _ int) (string, []any) {
	var ors []string
	var args []any
	for i := range pk {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, cols[j]+" = "+convert.KeyPlaceholder(pk[j]))
			args = append(args, bind[j])
		}
		o := op
		if i == len(pk)-1 {
			o = last
		}
		ands = append(ands, cols[i]+" "+o+" "+convert.KeyPlaceholder(pk[i]))
		args = append(args, bind[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// ReadKey implements target.Scanner: each written key column equal to its
// value bound back, a FLOAT or DOUBLE one within convert.KeyBounds, then
// the rows whose canonical key is key.
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
	cols, colNames := target.ReadColumns(t)
	rr := scanSQL.Where(pk, cols, where, args)
	err = scanSQL.ScanRows(ctx, db, rr.Query(dml.QuoteIdent(t.Name)), rr.Args, cols, func(vs []verify.Value) error {
		r := verify.Row{Columns: colNames, Values: vs}
		if !target.HasKey(r, names, key) {
			return nil
		}
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.Name, err)
	}
	return nil
}
