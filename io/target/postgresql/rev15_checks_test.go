package postgresql

import (
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
)

// Row-level security on a replicated table, for a role that neither owns
// it nor has BYPASSRLS, hides rows from the writer's DELETE and UPDATE: they
// change nothing and report no error, so the shadow row advances and the
// change is lost (and INSERTs fail). has_table_privilege says nothing of
// it, so CheckTables passes.
func TestCheckTablesReportsRowLevelSecurity(t *testing.T) {
	d := pgWithApp(t)
	for _, q := range []string{
		`CREATE TABLE app.t (id int PRIMARY KEY, v int)`,
		`INSERT INTO app.t VALUES (1, 1)`,
		`ALTER TABLE app.t ENABLE ROW LEVEL SECURITY`,
		// Only the rows with v < 0 are the writer's to change.
		`CREATE POLICY mine ON app.t USING (v < 0)`,
	} {
		if _, err := d.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	r := role(t, d, "writer")
	for _, q := range []string{`GRANT USAGE ON SCHEMA app TO "%s"`, `GRANT ALL ON ALL TABLES IN SCHEMA app TO "%s"`} {
		if _, err := d.DB.Exec(strings.ReplaceAll(q, "%s", r)); err != nil {
			t.Fatal(err)
		}
	}
	s := shardOf(d, r, "pw")
	s.Namespace = "app"

	checkErr := CheckTables(t.Context(), s, []string{"t"})

	// What the writer then does: the delete of row 1 succeeds and deletes
	// nothing.
	db, release, err := Acquire(s, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	targettest.Write(t, Target{}, db, targettest.Del("t", 2, []string{"id"}, "1"))
	left := rows(t, d, `SELECT * FROM app.t`)

	if checkErr == nil || !strings.Contains(checkErr.Error(), "row-level security") {
		t.Errorf("CheckTables passed a table under row-level security (err %v); the writer's delete of row 1 then reported success and left %q", checkErr, left)
	}
}

// pgWithApp is a test database with an empty namespace "app".
func pgWithApp(t *testing.T) testenv.PGDatabase {
	t.Helper()
	d := testenv.PostgreSQL(t)
	if _, err := d.DB.Exec(`CREATE SCHEMA app`); err != nil {
		t.Fatal(err)
	}
	return d
}
