// Package targettest helps the tests of the targets (io/target/mysql,
// io/target/postgresql) and of what they share: the changes to write, and
// one batch written as the apply protocol writes it.
package targettest

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Up is an upsert of one row of table, committed at second sec: vals are
// the values of cols, the key values those of keys.
func Up(table string, sec int64, cols, keys []string, vals ...any) target.Change {
	r := mapping.Row{Table: table, Columns: cols, Values: vals, KeyColumns: keys}
	pos := map[string]int{}
	for i, c := range cols {
		pos[c] = i
	}
	for _, k := range keys {
		r.KeyValues = append(r.KeyValues, vals[pos[k]])
	}
	return target.Change{Row: r, Version: newer.Version{CommitTs: record.Timestamp{Seconds: sec}}}
}

// Del is the delete of the row of key keyVals (of the columns keys) of
// table, committed at second sec.
func Del(table string, sec int64, keys []string, keyVals ...any) target.Change {
	return target.Change{Row: mapping.Row{Table: table, Delete: true, KeyColumns: keys, KeyValues: keyVals},
		Version: newer.Version{CommitTs: record.Timestamp{Seconds: sec}}}
}

// Unique is c for a table with unique keys besides the primary key: the
// row-by-row path.
func Unique(c target.Change) target.Change { c.Unique = true; return c }

// Write runs one batch on a connection of db as the apply protocol does:
// Connect, Begin, Write, Commit. It returns the rows tg refused.
func Write(t testing.TB, tg target.Target, db *sql.DB, changes ...target.Change) map[int]error {
	t.Helper()
	ctx := context.Background()
	s, err := tg.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	refused, err := s.Write(ctx, changes)
	if err != nil {
		_ = s.Rollback()
		t.Fatalf("write: %v", err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	return refused
}

// ReadRange reads the rows of tb in r through sc, each as its values
// joined by "/" (NULL for NULL), checking that the rows carry the columns
// cols (the generated ones left out).
func ReadRange(t testing.TB, sc target.Scanner, db *sql.DB, tb schema.SourceTable, r target.KeyRange, cols []string) []string {
	t.Helper()
	var got []string
	err := sc.ReadRange(context.Background(), db, tb, r, func(row verify.Row) error {
		if !slices.Equal(row.Columns, cols) {
			t.Fatalf("columns %v, want %v (generated ones left out)", row.Columns, cols)
		}
		vs := make([]string, len(row.Values))
		for i, v := range row.Values {
			vs[i] = v.Text
			if v.Null {
				vs[i] = "NULL"
			}
		}
		got = append(got, strings.Join(vs, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// CheckRanges checks sc on tb, a table of 50 rows, want in key order (as
// ReadRange gives them): the ranges cut at the keys of Splits, one every
// 7 rows, cover the table exactly once, in key order; the point range of
// key reads the one row wantPoint; and a table of one range has no split.
func CheckRanges(t testing.TB, sc target.Scanner, db *sql.DB, tb schema.SourceTable, cols, want []string, key []verify.Value, wantPoint string) {
	t.Helper()
	ctx := context.Background()
	splits, err := sc.Splits(ctx, db, tb, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 7 { // 50 rows, a split every 7th: 7, 14, ..., 49
		t.Errorf("%d splits, want 7: %v", len(splits), splits)
	}
	var got []string
	var from []verify.Value
	for _, s := range splits {
		got = append(got, ReadRange(t, sc, db, tb, target.KeyRange{From: from, To: s}, cols)...)
		from = s
	}
	got = append(got, ReadRange(t, sc, db, tb, target.KeyRange{From: from}, cols)...)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ranges read\n%v\nwant\n%v", got, want)
	}
	if got := ReadRange(t, sc, db, tb, target.KeyRange{From: key, To: key, Through: true}, cols); strings.Join(got, " ") != wantPoint {
		t.Errorf("point read = %v, want %s", got, wantPoint)
	}
	small, err := sc.Splits(ctx, db, tb, 50)
	if err != nil || len(small) != 0 {
		t.Errorf("Splits of a table of one range = %v, %v; want none", small, err)
	}
}
