package mysql

import (
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
)

// A swap of unique values is applied by deleting the rows and inserting
// them again (unique.go, reinsert). The insert carries only the columns of
// the change, so a column of the MySQL table that Spanner does not have
// would fall back to its default; an UPDATE would have kept it.
func TestSessionSwapKeepsUnmappedColumns(t *testing.T) {
	db, _ := testenv.MySQL(t)
	for _, q := range []string{
		"CREATE TABLE users (id int PRIMARY KEY, email varchar(50) UNIQUE, note varchar(50) DEFAULT 'default'," +
			" b varbinary(10), f double, ts datetime(3), j json, n decimal(10,2), nul varchar(5) DEFAULT 'dflt'," +
			" g int AS (id * 10) STORED)",
		"INSERT INTO users (id, email, note, b, f, ts, j, n, nul) VALUES" +
			" (1, 'a@x', 'kept 1', x'00ff27', 0.1, '2024-01-02 03:04:05.123', '{\"k\": \"v\"}', 12.5, NULL)," +
			" (2, 'b@x', 'kept 2', x'', 1e300, '1999-12-31 23:59:59.999', '[]', -1, NULL)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	dump := func() string {
		rs, err := db.Query("SELECT CONCAT_WS('|', id, email, note, HEX(b), f, ts, j, n, nul IS NULL, g) FROM users ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			var s string
			if err := rs.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	before := dump()
	cols, keys := []string{"id", "email"}, []string{"id"}
	if refused := targettest.Write(t, Target{}, db,
		targettest.Unique(targettest.Up("users", 5, cols, keys, "1", "b@x")),
		targettest.Unique(targettest.Up("users", 5, cols, keys, "2", "a@x"))); len(refused) > 0 {
		t.Fatalf("refused %v", refused)
	}
	want := strings.NewReplacer("|a@x|", "|b@x|", "|b@x|", "|a@x|").Replace(before)
	if got := dump(); got != want {
		t.Errorf("rows\n%s\nwant\n%s", got, want)
	}
}
