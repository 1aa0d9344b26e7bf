package mysql

import (
	"context"
	"fmt"
	"strings"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
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
	tb := src.Tables["ranged"]
	sc := Target{}.Scanner()
	splits, err := sc.Splits(ctx, db, tb, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 7 { // 50 rows, a split every 7th: 7, 14, ..., 49
		t.Errorf("%d splits, want 7: %v", len(splits), splits)
	}
	var got []string
	var from []verify.Value
	read := func(r target.KeyRange) {
		t.Helper()
		err := sc.ReadRange(ctx, db, tb, r, func(row verify.Row) error {
			if strings.Join(row.Columns, ",") != "a,b,c,v" {
				t.Fatalf("columns %v, want a,b,c,v (generated g left out)", row.Columns)
			}
			got = append(got, fmt.Sprintf("%s/%s/%s/%s", row.Values[0].Text, row.Values[1].Text, row.Values[2].Text, row.Values[3]))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range splits {
		read(target.KeyRange{From: from, To: s})
		from = s
	}
	read(target.KeyRange{From: from})
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ranges read\n%v\nwant\n%v", got, want)
	}
	got = nil
	key := []verify.Value{verify.Text("3"), verify.Text("y"), verify.Text("2.5")}
	read(target.KeyRange{From: key, To: key, Through: true})
	if strings.Join(got, " ") != "3/y/2.5/NULL" {
		t.Errorf("point read = %v", got)
	}
	small, err := sc.Splits(ctx, db, tb, 50)
	if err != nil || len(small) != 0 {
		t.Errorf("Splits of a table of one range = %v, %v; want none", small, err)
	}
}
