package postgresql

import (
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
)

// A swap of unique values is applied by deleting the rows and inserting
// them again (unique.go, step 3). The insert carries only the columns of
// the change, so a column of the PostgreSQL table that Spanner does not
// have (the mapping leaves it out) loses its value: it falls back to its
// default. An UPDATE would have kept it.
func TestSessionSwapKeepsUnmappedColumns(t *testing.T) {
	d, db := sessionDB(t,
		`CREATE TABLE app.users (id int PRIMARY KEY, email text UNIQUE, note text DEFAULT 'default')`,
		`INSERT INTO app.users VALUES (1, 'a@x', 'kept 1'), (2, 'b@x', 'kept 2')`)
	cols, keys := []string{"id", "email"}, []string{"id"}
	if refused := targettest.Write(t, Target{}, db,
		targettest.Unique(targettest.Up("users", 5, cols, keys, "1", "b@x")),
		targettest.Unique(targettest.Up("users", 5, cols, keys, "2", "a@x"))); len(refused) > 0 {
		t.Fatalf("refused %v", refused)
	}
	if got, want := rows(t, d, `SELECT * FROM app.users`), `(1,b@x,"kept 1") (2,a@x,"kept 2")`; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}

// The kept columns come back whatever their type, NULL included, from the
// row's text (dml.InsertKeeping); a generated column is computed again, and
// a column named like the query's alias does not get in the way.
func TestSessionSwapKeepsUnmappedColumnsOfEveryType(t *testing.T) {
	d, db := sessionDB(t,
		`CREATE TABLE app.users (id int PRIMARY KEY, email text UNIQUE,
			b bytea, f float8, ts timestamptz(3), j jsonb, a text[], n numeric(10,2), nul text DEFAULT 'default',
			revrepl_old text, g int GENERATED ALWAYS AS (id * 10) STORED,
			seq bigint GENERATED ALWAYS AS IDENTITY)`,
		`INSERT INTO app.users (id, email, b, f, ts, j, a, n, nul, revrepl_old) VALUES
			(1, 'a@x', '\x00ff27', 0.1, '2024-01-02 03:04:05.123+00', '{"k": "v \"q\""}', '{"x,y", NULL}', 12.5, NULL, 'r1'),
			(2, 'b@x', '\x', 1e300, '1999-12-31 23:59:59.999+00', '[]', '{}', -1, NULL, '(2,")')`)
	const q = `SELECT id, email, encode(b, 'hex'), f, ts, j, a, n, nul IS NULL, revrepl_old, g, seq FROM app.users ORDER BY id`
	before := rows(t, d, q)
	cols, keys := []string{"id", "email"}, []string{"id"}
	if refused := targettest.Write(t, Target{}, db,
		targettest.Unique(targettest.Up("users", 5, cols, keys, "1", "b@x")),
		targettest.Unique(targettest.Up("users", 5, cols, keys, "2", "a@x"))); len(refused) > 0 {
		t.Fatalf("refused %v", refused)
	}
	want := strings.NewReplacer("a@x", "A", "b@x", "a@x").Replace(before)
	want = strings.ReplaceAll(want, "A", "b@x")
	if got := rows(t, d, q); got != want {
		t.Errorf("rows\n%s\nwant\n%s", got, want)
	}
}
