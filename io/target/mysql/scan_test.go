package mysql

import (
	"context"
	"fmt"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// TestScannerRanges: the ranges cut at Splits' keys cover a table with a
// composite primary key (integer, text, decimal) exactly once, in key
// order, and a point range reads one row; values come in canonical form.
func TestScannerRanges(t *testing.T) {
	db, dsn := testenv.MySQL(t)
	ctx := context.Background()
	if _, err := db.Exec("CREATE TABLE ranged (a INT NOT NULL, b VARCHAR(10) NOT NULL, c DECIMAL(8,2) NOT NULL, v VARCHAR(20), g INT AS (a * 2) VIRTUAL, PRIMARY KEY (a, b, c))"); err != nil {
		t.Fatal(err)
	}
	var want []string
	for a := 1; a <= 5; a++ {
		for _, b := range []string{"x", "y"} {
			for c := 1; c <= 5; c++ {
				if _, err := db.Exec("INSERT INTO ranged (a, b, c, v) VALUES (?, ?, ?, ?)", a, b, fmt.Sprintf("%d.50", c), nil); err != nil {
					t.Fatal(err)
				}
				want = append(want, fmt.Sprintf("%d/%s/%d.5/NULL", a, b, c))
			}
		}
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ReadSchema(ctx, db, cfg.DBName)
	if err != nil {
		t.Fatal(err)
	}
	key := []verify.Value{verify.Text("3"), verify.Text("y"), verify.Text("2.5")}
	targettest.CheckRanges(t, Target{}.Scanner(), db, src.Tables["ranged"], []string{"a", "b", "c", "v"}, want, key, "3/y/2.5/NULL")
}
