package postgresql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// scanNamespace is the shard's namespace in the scanner tests: not on the
// search_path, and in need of quoting.
const scanNamespace = "Verify NS"

// scanPool creates scanNamespace in d and opens a pool on it as the target
// does (Open remembers the namespace).
func scanPool(t *testing.T, d testenv.PGDatabase) *sql.DB {
	t.Helper()
	if _, err := d.DB.Exec(`CREATE SCHEMA "` + scanNamespace + `"`); err != nil {
		t.Fatal(err)
	}
	db, err := Open(Shard{LogicalShardID: "s1", Host: d.Host, Port: target.Port(d.Port), User: d.User, Password: d.Password,
		DBName: d.Name, Namespace: scanNamespace, ConnectionProperties: "sslmode=disable"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scanCase is one Spanner value of a change record, for a column type.
type scanCase struct {
	spanner, raw string
	want         string // the canonical form, when the case pins it ("" = not pinned)
}

// TestScannerRoundTrip binds each value as the writer does (convert.Value,
// source zone +05:30), writes it, reads the table back with ReadRange and
// checks that Canonical of the bound value is what ReadRange returned: the
// verify job finds no difference in a row the writer wrote. Each column
// type's values are also told apart (different stored values, different
// forms).
func TestScannerRoundTrip(t *testing.T) {
	d := testenv.PostgreSQL(t)
	db := scanPool(t, d)
	ctx := context.Background()
	tz := time.FixedZone("+05:30", 5*3600+1800)
	// The session zone must not matter: the reader fixes its own.
	if _, err := d.DB.Exec(`ALTER DATABASE "` + d.Name + `" SET extra_float_digits = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DB.Exec(`CREATE TYPE "` + scanNamespace + `".mood AS ENUM ('happy', 'sad', 'Très bien')`); err != nil {
		t.Fatal(err)
	}
	families := []struct {
		colType string
		cases   []scanCase
	}{
		{"boolean", []scanCase{{"BOOL", `true`, "true"}, {"BOOL", `false`, "false"}, {"STRING", `"t"`, "true"}}},
		{"smallint", []scanCase{{"INT64", `"-32768"`, "-32768"}, {"INT64", `"7"`, "7"}}},
		{"integer", []scanCase{{"INT64", `"2147483647"`, ""}, {"FLOAT64", `7`, "7"}}},
		{"bigint", []scanCase{{"INT64", `"-9223372036854775808"`, "-9223372036854775808"}, {"NUMERIC", `"12.000000000"`, "12"}}},
		{"numeric(10,2)", []scanCase{{"NUMERIC", `"12.345"`, "12.35"}, {"NUMERIC", `"-12.345"`, "-12.35"}, {"NUMERIC", `"3"`, "3"}, {"FLOAT64", `0.1`, "0.1"}, {"NUMERIC", `"-0.001"`, "0"}}},
		{"numeric", []scanCase{{"NUMERIC", `"99999999999999999999999999999.999999999"`, ""}, {"numeric", `"NaN"`, "NaN"}, {"FLOAT64", `"Infinity"`, "Infinity"},
			{"FLOAT64", `"-Infinity"`, "-Infinity"}, {"FLOAT64", `0.1`, "0.1"}, {"NUMERIC", `"1.500000000"`, "1.5"}, {"FLOAT64", `1e-7`, "0.0000001"}}},
		{"double precision", []scanCase{{"FLOAT64", `1.7976931348623157e308`, ""}, {"FLOAT64", `0.1`, "0.1"}, {"FLOAT64", `"NaN"`, "NaN"},
			{"FLOAT64", `"-Infinity"`, "-Infinity"}, {"FLOAT64", `0.30000000000000004`, "0.30000000000000004"}, {"FLOAT64", `-0.0`, ""}, {"INT64", `"123"`, "123"}}},
		{"real", []scanCase{{"FLOAT32", `1.1`, "1.1"}, {"real", `"Infinity"`, "Infinity"}, {"FLOAT32", `3.4028235e38`, ""}, {"FLOAT64", `0.1`, "0.1"}}},
		{"text", []scanCase{{"STRING", `"héllo 😀"`, "héllo 😀"}, {"STRING", `"it's \"quoted\" \\ back"`, ""}, {"STRING", `""`, ""}, {"STRING", `"trailing  "`, "trailing  "}}},
		{"character varying(3)", []scanCase{{"STRING", `"é😀x"`, ""}, {"STRING", `"ab"`, "ab"}}},
		{"char(4)", []scanCase{{"STRING", `"ab"`, "ab"}, {"STRING", `"abcd"`, "abcd"}, {"STRING", `"a   "`, "a"}}},
		{"bytea", []scanCase{{"BYTES", `"AAEC/w=="`, "000102ff"}, {"bytea", `""`, ""}}},
		{"date", []scanCase{{"DATE", `"2024-02-29"`, "2024-02-29"}, {"date", `"0001-01-01"`, "0001-01-01"}, {"TIMESTAMP", `"2024-01-02T18:30:00Z"`, "2024-01-03"}}},
		{"timestamp", []scanCase{{"TIMESTAMP", `"2024-01-02T03:04:05Z"`, "2024-01-02 08:34:05"}, {"TIMESTAMP", `"2024-01-02T03:04:05.123456789Z"`, "2024-01-02 08:34:05.123457"},
			{"TIMESTAMP", `"0001-01-01T00:00:00Z"`, ""}, {"STRING", `"1999-12-31 23:59:59.5"`, "1999-12-31 23:59:59.5"}}},
		{"timestamp(0)", []scanCase{{"TIMESTAMP", `"2024-01-02T03:04:05.5Z"`, "2024-01-02 08:34:06"}, {"STRING", `"1999-12-31 23:59:58.5"`, "1999-12-31 23:59:58"},
			{"STRING", `"1999-12-31 23:59:59.4"`, "1999-12-31 23:59:59"}}},
		{"timestamp(2) with time zone", []scanCase{{"TIMESTAMP", `"2024-01-02T03:04:05.125Z"`, "2024-01-02 03:04:05.13+00"}, {"TIMESTAMP", `"1970-01-01T00:00:00.005Z"`, ""}}},
		{"timestamptz", []scanCase{{"TIMESTAMP", `"2024-01-02T03:04:05.123456Z"`, "2024-01-02 03:04:05.123456+00"},
			{"timestamp with time zone", `"2024-01-02T03:04:05.123456789+02:00"`, "2024-01-02 01:04:05.123457+00"},
			{"TIMESTAMP", `"9999-12-31T23:59:59.999999Z"`, "9999-12-31 23:59:59.999999+00"}, {"TIMESTAMP", `"0001-01-01T00:00:00Z"`, "0001-01-01 00:00:00+00"},
			{"STRING", `"2024-06-01 12:00:00"`, "2024-06-01 06:30:00+00"}}},
		{"time", []scanCase{{"TIMESTAMP", `"2024-01-02T03:04:05.25Z"`, "08:34:05.25"}, {"STRING", `"23:59:59"`, "23:59:59"}, {"STRING", `"24:00:00"`, "24:00:00"},
			{"STRING", `"23:59:59.9999999"`, "24:00:00"}}},
		{"time(1)", []scanCase{{"STRING", `"10:00:00.25"`, "10:00:00.3"}, {"STRING", `"10:00:00.04"`, "10:00:00"}}},
		{"json", []scanCase{{"JSON", `"{\"b\": [1, 2.50], \"a\": null}"`, `{"a":null,"b":[1,2.5]}`}, {"STRING", `"[1,  \"x\"]"`, `[1,"x"]`},
			{"ARRAY<INT64>", `["1", null]`, "[1,null]"}, {"STRING", `"{\"k\": 1, \"k\": 2}"`, ""}}},
		{"jsonb", []scanCase{{"JSON", `"{\"b\": [1, 2.50], \"a\": {\"z\": 1e2, \"y\": \"\\u00e9<>\"}}"`, `{"a":{"y":"é<>","z":100},"b":[1,2.5]}`},
			{"STRING", `"{\"k\": 1, \"k\": 2}"`, `{"k":2}`}, {"jsonb", `"1.0E-3"`, "0.001"}, {"JSON", `"\"text\""`, `"text"`}}},
		{"uuid", []scanCase{{"UUID", `"6F1A9D4E-2B7C-4E8A-9F00-0123456789AB"`, "6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"}, {"STRING", `"00000000-0000-0000-0000-000000000000"`, ""}}},
		{"mood", []scanCase{{"STRING", `"sad"`, "sad"}, {"STRING", `"Très bien"`, "Très bien"}}},
		{"bigint[]", []scanCase{{"ARRAY<INT64>", `["1", null, "-3"]`, `["1",null,"-3"]`}, {"ARRAY<INT64>", `[]`, "[]"}}},
		{"text[]", []scanCase{{"ARRAY<STRING(MAX)>", `["a,b", "q\"u", "back\\slash", "NULL", "", null, " sp ", "{x}"]`, `["a,b","q\"u","back\\slash","NULL","",null," sp ","{x}"]`}}},
		{"char(3)[]", []scanCase{{"ARRAY<STRING(MAX)>", `["a", "abc"]`, `["a","abc"]`}}},
		{"boolean[]", []scanCase{{"ARRAY<BOOL>", `[true, false, null]`, `["true","false",null]`}}},
		{"double precision[]", []scanCase{{"ARRAY<FLOAT64>", `[1.5, "NaN", "-Infinity", 0.1]`, `["1.5","NaN","-Infinity","0.1"]`}}},
		{"real[]", []scanCase{{"ARRAY<FLOAT32>", `[1.1, 2]`, `["1.1","2"]`}}},
		{"numeric(5,2)[]", []scanCase{{"ARRAY<NUMERIC>", `["1.005", "-2"]`, `["1.01","-2"]`}}},
		{"bytea[]", []scanCase{{"ARRAY<BYTES>", `["AAE=", null, ""]`, `["0001",null,""]`}}},
		{"date[]", []scanCase{{"ARRAY<DATE>", `["2024-01-01"]`, `["2024-01-01"]`}}},
		{"timestamptz[]", []scanCase{{"ARRAY<TIMESTAMP>", `["2024-01-02T03:04:05.5Z"]`, `["2024-01-02 03:04:05.5+00"]`}}},
		{"timestamp[]", []scanCase{{"ARRAY<TIMESTAMP>", `["2024-01-02T03:04:05Z"]`, `["2024-01-02 08:34:05"]`}}},
		{"jsonb[]", []scanCase{{"ARRAY<JSON>", `["{\"b\":1, \"a\":2}"]`, `["{\"a\":2,\"b\":1}"]`}}},
		{"mood[]", []scanCase{{"ARRAY<STRING(MAX)>", `["happy", "Très bien"]`, `["happy","Très bien"]`}}},
		{"uuid[]", []scanCase{{"ARRAY<STRING(10)>", `["6F1A9D4E-2B7C-4E8A-9F00-0123456789AB"]`, `["6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"]`}}},
	}
	for i, f := range families {
		t.Run(fmt.Sprintf("%d_%s", i, f.colType), func(t *testing.T) {
			table := fmt.Sprintf("Round Trip %d", i)
			qt := `"` + scanNamespace + `"."` + table + `"`
			colType := f.colType
			if strings.HasPrefix(colType, "mood") {
				colType = `"` + scanNamespace + `".` + colType
			}
			if _, err := d.DB.Exec(fmt.Sprintf(`CREATE TABLE %s (id int PRIMARY KEY, "Val" %s)`, qt, colType)); err != nil {
				t.Fatal(err)
			}
			src, err := ReadSchema(ctx, d.DB, scanNamespace)
			if err != nil {
				t.Fatal(err)
			}
			tb := src.Tables[table]
			col, ok := tb.Column("Val")
			if !ok {
				t.Fatalf("column Val of %s not read: %+v", table, tb)
			}
			sc := Target{}.Scanner()
			var want []verify.Value
			cases := append(f.cases, scanCase{"STRING", "null", ""})
			for id, c := range cases {
				typ, err := spannertype.Parse(c.spanner)
				if err != nil {
					t.Fatal(err)
				}
				v, err := convert.Value(typ, json.RawMessage(c.raw), col, tz)
				if err != nil {
					t.Fatalf("Value(%s): %v", c.raw, err)
				}
				if _, err := db.Exec(fmt.Sprintf(`INSERT INTO %s (id, "Val") VALUES ($1, $2)`, qt), id, v); err != nil {
					t.Fatalf("insert %#v: %v", v, err)
				}
				cv, err := sc.Canonical(col, v)
				if err != nil {
					t.Fatalf("Canonical(%#v): %v", v, err)
				}
				if c.want != "" && cv != verify.Text(c.want) {
					t.Errorf("case %d: Canonical(%#v) = %s, want %q", id, v, cv, c.want)
				}
				want = append(want, cv)
			}
			var got []verify.Value
			err = sc.ReadRange(ctx, db, tb, target.KeyRange{}, func(r verify.Row) error {
				if strings.Join(r.Columns, ",") != "id,Val" {
					t.Fatalf("columns %v", r.Columns)
				}
				got = append(got, r.Values[1])
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("read %d rows, wrote %d", len(got), len(want))
			}
			for id := range want {
				if got[id] != want[id] {
					t.Errorf("case %d (%s): read back %s, Canonical of the bound value %s", id, cases[id].raw, got[id], want[id])
				}
			}
			// Different stored values have different forms: no two rows
			// of the table hold equal values unless their forms agree.
			for a := range want {
				for b := a + 1; b < len(want); b++ {
					if want[a].Null || want[b].Null || col.DataType == "json" {
						continue
					}
					var same bool
					q := fmt.Sprintf(`SELECT x."Val" IS NOT DISTINCT FROM y."Val" FROM %s x, %s y WHERE x.id = $1 AND y.id = $2`, qt, qt)
					if strings.HasPrefix(col.DataType, "json") {
						q = fmt.Sprintf(`SELECT x."Val"::jsonb IS NOT DISTINCT FROM y."Val"::jsonb FROM %s x, %s y WHERE x.id = $1 AND y.id = $2`, qt, qt)
					}
					if err := db.QueryRow(q, a, b).Scan(&same); err != nil {
						t.Fatal(err)
					}
					if same != (want[a] == want[b]) {
						t.Errorf("rows %d and %d: equal in PostgreSQL %v, forms %s and %s", a, b, same, want[a], want[b])
					}
				}
			}
		})
	}
}

// TestScannerRanges: the ranges cut at Splits' keys cover a table with a
// composite primary key (integer, text, numeric, timestamptz) exactly once,
// in key order, and a point range reads one row; the table lives in the
// shard's namespace, with names that need quoting.
func TestScannerRanges(t *testing.T) {
	d := testenv.PostgreSQL(t)
	db := scanPool(t, d)
	ctx := context.Background()
	if _, err := d.DB.Exec(`CREATE TABLE "` + scanNamespace + `"."Ranged" ("A" int NOT NULL, b varchar(10) NOT NULL, c numeric(8,2) NOT NULL,
		ts timestamptz NOT NULL, v text, g int GENERATED ALWAYS AS ("A" * 2) STORED, PRIMARY KEY ("A", b, c, ts))`); err != nil {
		t.Fatal(err)
	}
	// A same-named table in public must not be read.
	if _, err := d.DB.Exec(`CREATE TABLE public."Ranged" ("A" int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	var want []string
	for a := 1; a <= 5; a++ {
		for _, b := range []string{"x", "y"} {
			for c := 1; c <= 5; c++ {
				if _, err := d.DB.Exec(`INSERT INTO "`+scanNamespace+`"."Ranged" ("A", b, c, ts, v) VALUES ($1, $2, $3, $4, NULL)`,
					a, b, fmt.Sprintf("%d.50", c), fmt.Sprintf("2024-01-0%d 10:00:00.5+02", c)); err != nil {
					t.Fatal(err)
				}
				want = append(want, fmt.Sprintf("%d/%s/%d.5/2024-01-0%d 08:00:00.5+00/NULL", a, b, c, c))
			}
		}
	}
	src, err := ReadSchema(ctx, d.DB, scanNamespace)
	if err != nil {
		t.Fatal(err)
	}
	tb := src.Tables["Ranged"]
	sc := Target{}.Scanner()
	cols := []string{"A", "b", "c", "ts", "v"}
	key := []verify.Value{verify.Text("3"), verify.Text("y"), verify.Text("2.5"), verify.Text("2024-01-02 08:00:00.5+00")}
	targettest.CheckRanges(t, sc, db, tb, cols, want, key, "3/y/2.5/2024-01-02 08:00:00.5+00/NULL")
	got := targettest.ReadRange(t, sc, db, tb, target.KeyRange{To: []verify.Value{verify.Text("1"), verify.Text("x"), verify.Text("3.5"), verify.Text("2024-01-03 08:00:00.5+00")}, Through: true}, cols)
	if strings.Join(got, " ") != strings.Join(want[:3], " ") {
		t.Errorf("read through the third key = %v", got)
	}
	if _, err := sc.Splits(ctx, db, schema.SourceTable{Name: "Ranged", Columns: tb.Columns}, 7); err == nil {
		t.Error("Splits of a table without a primary key succeeded")
	}
}
