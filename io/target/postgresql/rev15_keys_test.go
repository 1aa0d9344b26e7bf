package postgresql

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// A primary key of reduced precision (timestamp(0), timestamptz(3),
// time(2)) stores the value rounded to the column's precision, but the
// DELETE (and the UPDATE of the unique-key path) compares it with the
// bound value, which the server parses with the type's full precision.
// The delete then finds no row, reports no error, and the shadow row
// advances: the delete is lost.
func TestSessionDeletesByReducedPrecisionKey(t *testing.T) {
	for i, c := range []struct{ colType, spannerType, raw string }{
		{"timestamp(0)", "TIMESTAMP", `"2024-01-02T03:04:05.6Z"`},
		{"timestamptz(3)", "TIMESTAMP", `"2024-01-02T03:04:05.123456Z"`},
		{"time(2)", "TIMESTAMP", `"2024-01-02T03:04:05.123456Z"`},
	} {
		t.Run(c.colType, func(t *testing.T) {
			d, db := sessionDB(t,
				fmt.Sprintf(`CREATE TABLE app.ev (k %s PRIMARY KEY, v int)`, c.colType),
				fmt.Sprintf(`CREATE TABLE app.evu (k %s PRIMARY KEY, v int UNIQUE)`, c.colType))
			src, err := ReadSchema(t.Context(), d.DB, "app")
			if err != nil {
				t.Fatal(err)
			}
			col, ok := src.Tables["ev"].Column("k")
			if !ok {
				t.Fatal("column k not read")
			}
			typ, err := spannertype.Parse(c.spannerType)
			if err != nil {
				t.Fatal(err)
			}
			key, err := convert.Value(typ, json.RawMessage(c.raw), col, time.UTC)
			if err != nil {
				t.Fatalf("case %d: Value: %v", i, err)
			}
			cols, keys := []string{"k", "v"}, []string{"k"}

			targettest.Write(t, Target{}, db, targettest.Up("ev", 1, cols, keys, key, "1"))
			targettest.Write(t, Target{}, db, targettest.Del("ev", 2, keys, key))
			if got := rows(t, d, `SELECT * FROM app.ev`); got != "" {
				t.Errorf("multi-row path: the delete of key %v found no row; the table still holds %s", key, got)
			}

			// Unique-key path: UPDATE by key finds nothing, the INSERT
			// clashes with the row's own primary key.
			targettest.Write(t, Target{}, db, targettest.Unique(targettest.Up("evu", 1, cols, keys, key, "1")))
			if refused := targettest.Write(t, Target{}, db, targettest.Unique(targettest.Up("evu", 2, cols, keys, key, "2"))); len(refused) > 0 {
				t.Errorf("unique path: the update of key %v was refused: %v", key, refused[0])
			}
			targettest.Write(t, Target{}, db, targettest.Unique(targettest.Del("evu", 3, keys, key)))
			if got := rows(t, d, `SELECT * FROM app.evu`); got != "" {
				t.Errorf("unique path: the delete of key %v found no row; the table still holds %s", key, got)
			}
		})
	}
}

// An identity column GENERATED ALWAYS (the usual PostgreSQL surrogate key)
// refuses explicit values unless the INSERT says OVERRIDING SYSTEM VALUE;
// the writer always binds the key, so every insert into such a table fails
// (SQLSTATE 428C9, classified severe), on both write paths.
func TestSessionWritesIdentityAlwaysKey(t *testing.T) {
	d, db := sessionDB(t,
		`CREATE TABLE app.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)`,
		`CREATE TABLE app.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE)`)
	cols, keys := []string{"id", "v"}, []string{"id"}
	ctx := t.Context()
	s := begun(ctx, t, db)
	refused, err := s.Write(ctx, []target.Change{
		targettest.Up("orders", 1, cols, keys, "42", "x"),
	})
	if err != nil {
		_ = s.Rollback()
		t.Fatalf("multi-row path: %v", err)
	}
	if len(refused) > 0 {
		t.Fatalf("refused %v", refused)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if refused := targettest.Write(t, Target{}, db, targettest.Unique(targettest.Up("users", 1, []string{"id", "email"}, keys, "7", "a@x"))); len(refused) > 0 {
		t.Errorf("unique path: %v", refused)
	}
	if got := rows(t, d, `SELECT * FROM app.orders`); got != "(42,x)" {
		t.Errorf("orders %q", got)
	}
	if got := rows(t, d, `SELECT * FROM app.users`); got != "(7,a@x)" {
		t.Errorf("users %q", got)
	}
}
