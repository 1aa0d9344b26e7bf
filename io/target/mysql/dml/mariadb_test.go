package dml

import (
	"database/sql"
	"reflect"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// TestMariaDB runs the generated statements on a real server: the syntax
// must be accepted by MariaDB 10.11, hostile names must address the right
// objects, and NULL keys must match.
func TestMariaDB(t *testing.T) {
	db, _ := testenv.MySQL(t)
	table, id, val := "we`ird; DROP TABLE x", "i`d", "v'al"
	mustExec(t, db, "CREATE TABLE "+QuoteIdent(table)+" ("+QuoteIdent(id)+" INT PRIMARY KEY, "+
		QuoteIdent(val)+" VARCHAR(20), k2 INT NULL, UNIQUE KEY (k2))")

	run := func(st Statement, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(st.SQL, st.Args...); err != nil {
			t.Fatalf("%s: %v", st.SQL, err)
		}
	}
	cols := []string{id, val, "k2"}
	run(Upsert(table, cols, []string{id}, [][]any{{1, "a", nil}, {2, "b'`\\", 20}, {3, nil, nil}}))
	run(Upsert(table, cols, []string{id}, [][]any{{1, "a2", 10}, {4, "d", nil}}))
	checkRows(t, db, table, id, val, [][]string{{"1", "a2", "10"}, {"2", "b'`\\", "20"}, {"3", "<NULL>", "<NULL>"}, {"4", "d", "<NULL>"}})

	run(Delete(table, []string{id, "k2"}, [][]any{{3, nil}, {2, 20}, {4, 999}}))
	checkRows(t, db, table, id, val, [][]string{{"1", "a2", "10"}, {"4", "d", "<NULL>"}})

	mustExec(t, db, "CREATE TABLE link (a INT, b INT, PRIMARY KEY (a, b))")
	run(Upsert("link", []string{"a", "b"}, []string{"a", "b"}, [][]any{{1, 2}}))
	run(Upsert("link", []string{"a", "b"}, []string{"a", "b"}, [][]any{{1, 2}, {1, 3}}))
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM link").Scan(&n); err != nil || n != 2 {
		t.Fatalf("link rows = %d, %v; want 2", n, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func checkRows(t *testing.T, db *sql.DB, table, id, val string, want [][]string) {
	t.Helper()
	rows, err := db.Query("SELECT " + QuoteIdent(id) + "," + QuoteIdent(val) + ",k2 FROM " + QuoteIdent(table) + " ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][]string
	for rows.Next() {
		var a, b, c sql.NullString
		if err := rows.Scan(&a, &b, &c); err != nil {
			t.Fatal(err)
		}
		row := []string{}
		for _, s := range []sql.NullString{a, b, c} {
			if s.Valid {
				row = append(row, s.String)
			} else {
				row = append(row, "<NULL>")
			}
		}
		got = append(got, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}
