package postgresql

import "testing"

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
	if refused := write(t, db,
		unique(up("users", 5, cols, keys, "1", "b@x")),
		unique(up("users", 5, cols, keys, "2", "a@x"))); len(refused) > 0 {
		t.Fatalf("refused %v", refused)
	}
	if got, want := rows(t, d, `SELECT * FROM app.users`), `(1,b@x,"kept 1") (2,a@x,"kept 2")`; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}
