// Package targettest helps the tests of the targets (io/target/mysql,
// io/target/postgresql) and of what they share: the changes to write, and
// one batch written as the apply protocol writes it.
package targettest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
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
