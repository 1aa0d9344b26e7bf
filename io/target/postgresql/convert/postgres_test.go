package convert_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// roundTrip is one Spanner value written through Value into a real column
// and read back as the server prints it (c::text).
type roundTrip struct {
	spanner string // Spanner type, GoogleSQL or PostgreSQL dialect
	raw     string // the change record's JSON
	colType string // DDL of the PostgreSQL column
	want    string
}

// TestPostgreSQLRoundTrip writes each value, converted by Value for the
// column as ReadSchema describes it, into a real column and compares what
// PostgreSQL stored. Source zone +05:30 for the wall-clock cases.
func TestPostgreSQLRoundTrip(t *testing.T) {
	d := testenv.PostgreSQL(t)
	d.DB = writerPool(t, d)
	tz := time.FixedZone("+05:30", 5*3600+1800)
	if _, err := d.DB.Exec(`CREATE TYPE mood AS ENUM ('happy', 'sad', 'Très bien')`); err != nil {
		t.Fatal(err)
	}
	cases := []roundTrip{
		{"BOOL", `true`, "boolean", "true"},
		{"boolean", `false`, "boolean", "false"},
		{"STRING", `"true"`, "boolean", "true"},
		{"INT64", `"-32768"`, "smallint", "-32768"},
		{"INT64", `"2147483647"`, "integer", "2147483647"},
		{"INT64", `"32767"`, "smallint", "32767"},
		{"INT64", `"-2147483648"`, "integer", "-2147483648"},
		{"INT64", `"9223372036854775807"`, "bigint", "9223372036854775807"},
		{"bigint", `"-9223372036854775808"`, "bigint", "-9223372036854775808"},
		{"FLOAT64", `7`, "integer", "7"},
		{"NUMERIC", `"12.000000000"`, "bigint", "12"},
		{"NUMERIC", `"12345.678901234"`, "numeric(38,9)", "12345.678901234"},
		{"NUMERIC", `"12.345"`, "numeric(10,2)", "12.35"},
		{"NUMERIC", `"-12.345"`, "numeric(10,2)", "-12.35"},
		{"NUMERIC", `"99999999999999999999999999999.999999999"`, "numeric", "99999999999999999999999999999.999999999"},
		{"numeric", `"NaN"`, "numeric", "NaN"},
		{"FLOAT64", `"Infinity"`, "numeric", "Infinity"},
		{"FLOAT64", `0.1`, "numeric", "0.1"},
		{"INT64", `"9007199254740993"`, "numeric(20,0)", "9007199254740993"},
		{"FLOAT64", `1.7976931348623157e308`, "double precision", "1.7976931348623157e+308"},
		{"float8", `0.1`, "double precision", "0.1"},
		{"FLOAT64", `"NaN"`, "double precision", "NaN"},
		{"FLOAT64", `"-Infinity"`, "double precision", "-Infinity"},
		{"FLOAT32", `1.1`, "real", "1.1"},
		{"real", `"Infinity"`, "real", "Infinity"},
		{"FLOAT32", `3.4028235e38`, "real", "3.4028235e+38"},
		{"STRING", `"héllo 😀"`, "text", "héllo 😀"},
		{"STRING", `"abc"`, "varchar(3)", "abc"},
		{"character varying", `"é😀x"`, "character varying(3)", "é😀x"},
		{"STRING", `"ab"`, "char(4)", "ab"}, // bpchar::text drops the padding
		{"STRING", `"ab  "`, "char(2)", "ab"},
		{"STRING", `"it's \"quoted\" \\ back"`, "text", `it's "quoted" \ back`},
		{"INT64", `"42"`, "text", "42"},
		{"BYTES", `"AAEC/w=="`, "bytea", `\x000102ff`},
		{"bytea", `""`, "bytea", `\x`},
		{"DATE", `"2024-02-29"`, "date", "2024-02-29"},
		{"date", `"0001-01-01"`, "date", "0001-01-01"},
		{"TIMESTAMP", `"2024-01-02T03:04:05.123456Z"`, "timestamptz", "2024-01-02 03:04:05.123456+00"},
		{"timestamp with time zone", `"2024-01-02T03:04:05.123456789+02:00"`, "timestamp with time zone", "2024-01-02 01:04:05.123457+00"},
		{"TIMESTAMP", `"2024-01-02T03:04:05Z"`, "timestamp", "2024-01-02 08:34:05"},
		{"TIMESTAMP", `"2024-01-02T03:04:05.5Z"`, "timestamp(0)", "2024-01-02 08:34:06"},
		{"TIMESTAMP", `"0001-01-01T00:00:00Z"`, "timestamptz", "0001-01-01 00:00:00+00"},
		{"TIMESTAMP", `"9999-12-31T23:59:59.999999Z"`, "timestamptz", "9999-12-31 23:59:59.999999+00"},
		{"TIMESTAMP", `"2024-01-02T18:30:00Z"`, "date", "2024-01-03"},
		{"TIMESTAMP", `"2024-01-02T03:04:05.25Z"`, "time", "08:34:05.25"},
		{"STRING", `"23:59:59"`, "time", "23:59:59"},
		{"JSON", `"{\"b\": [1, 2], \"a\": null}"`, "json", `{"b": [1, 2], "a": null}`},
		{"JSON", `"{\"b\": [1, 2], \"a\": null}"`, "jsonb", `{"a": null, "b": [1, 2]}`},
		{"jsonb", `"[1, \"x\"]"`, "jsonb", `[1, "x"]`},
		{"ARRAY<INT64>", `["1", null, "3"]`, "jsonb", `[1, null, 3]`},
		{"STRING", `"[1,2]"`, "jsonb", `[1, 2]`},
		{"STRING", `"6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"`, "uuid", "6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"},
		{"UUID", `"6F1A9D4E-2B7C-4E8A-9F00-0123456789AB"`, "uuid", "6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"},
		{"STRING", `"sad"`, "mood", "sad"},
		{"STRING", `"Très bien"`, "mood", "Très bien"},
		{"ARRAY<INT64>", `["1", null, "-3"]`, "bigint[]", "{1,NULL,-3}"},
		{"bigint[]", `["1"]`, "integer[]", "{1}"},
		{"ARRAY<STRING(MAX)>", `["a,b", "q\"u", "back\\slash", "NULL", "", null]`, "text[]", `{"a,b","q\"u","back\\slash","NULL","",NULL}`},
		{"ARRAY<BOOL>", `[true, false]`, "boolean[]", "{t,f}"},
		{"ARRAY<FLOAT64>", `[1.5, "NaN", "-Infinity"]`, "double precision[]", "{1.5,NaN,-Infinity}"},
		{"ARRAY<NUMERIC>", `["1.005", "-2"]`, "numeric(5,2)[]", "{1.01,-2.00}"},
		{"ARRAY<BYTES>", `["AAE=", null]`, "bytea[]", `{"\\x0001",NULL}`},
		{"ARRAY<DATE>", `["2024-01-01"]`, "date[]", "{2024-01-01}"},
		{"ARRAY<TIMESTAMP>", `["2024-01-02T03:04:05Z"]`, "timestamptz[]", `{"2024-01-02 03:04:05+00"}`},
		{"ARRAY<JSON>", `["{\"a\":1}"]`, "jsonb[]", `{"{\"a\": 1}"}`},
		{"ARRAY<STRING(MAX)>", `["happy", "sad"]`, "mood[]", "{happy,sad}"},
		{"ARRAY<STRING(10)>", `["6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"]`, "uuid[]", "{6f1a9d4e-2b7c-4e8a-9f00-0123456789ab}"},
		{"STRING", `null`, "integer", "<NULL>"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%s_to_%s", i, c.spanner, c.colType), func(t *testing.T) {
			table := fmt.Sprintf("rt_%d", i)
			if _, err := d.DB.Exec(fmt.Sprintf(`CREATE TABLE %s (id int PRIMARY KEY, c %s)`, table, c.colType)); err != nil {
				t.Fatal(err)
			}
			src, err := postgresql.ReadSchema(t.Context(), d.DB, "public")
			if err != nil {
				t.Fatal(err)
			}
			col, ok := src.Tables[table].Column("c")
			if !ok {
				t.Fatalf("column c of %s not read: %+v", table, src.Tables[table])
			}
			typ, err := spannertype.Parse(c.spanner)
			if err != nil {
				t.Fatal(err)
			}
			v, err := convert.Value(typ, json.RawMessage(c.raw), col, tz)
			if err != nil {
				t.Fatalf("Value: %v", err)
			}
			if _, err := d.DB.Exec(fmt.Sprintf(`INSERT INTO %s (id, c) VALUES (1, $1)`, table), v); err != nil {
				t.Fatalf("insert %#v: %v", v, err)
			}
			var got *string
			if err := d.DB.QueryRow(fmt.Sprintf(`SELECT c::text FROM %s`, table)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			s := "<NULL>"
			if got != nil {
				s = *got
			}
			if s != c.want {
				t.Errorf("stored %q, want %q (bound %#v)", s, c.want, v)
			}
		})
	}
}

// writerPool connects to d as the target does (postgresql.Open), so that
// values are bound as the writer binds them.
func writerPool(t *testing.T, d testenv.PGDatabase) *sql.DB {
	t.Helper()
	db, err := postgresql.Open(target.Shard{LogicalShardID: "rt", Host: d.Host, Port: target.Port(d.Port), User: d.User, Password: d.Password,
		DBName: d.Name, ConnectionProperties: "sslmode=disable"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPostgreSQLRefused lists values with no faithful form in a column:
// each is a spannervalue.ConversionError naming the column, both types and the value,
// before anything reaches the server.
func TestPostgreSQLRefused(t *testing.T) {
	d := testenv.PostgreSQL(t)
	if _, err := d.DB.Exec(`CREATE TYPE mood AS ENUM ('happy', 'sad')`); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ spanner, raw, colType, reason string }{
		{"INT64", `"32768"`, "smallint", "out of range"},
		{"INT64", `"-2147483649"`, "integer", "out of range"},
		{"INT64", `"-32769"`, "smallint", "out of range"},
		{"INT64", `"2147483648"`, "integer", "out of range"},
		{"NUMERIC", `"1.5"`, "integer", "not an integer"},
		{"NUMERIC", `"99999999.995"`, "numeric(10,2)", "out of range"},
		{"FLOAT64", `"NaN"`, "integer", "no exact value"},
		{"FLOAT64", `"Infinity"`, "numeric(10,2)", "only unconstrained numeric"},
		{"FLOAT64", `1e300`, "real", "out of range"},
		{"STRING", `"abcd"`, "varchar(3)", "do not fit"},
		{"STRING", `"abc "`, "varchar(3)", "do not fit"},
		{"STRING", `"a\u0000b"`, "text", "NUL"},
		{"STRING", `"x"`, "integer", "not a number"},
		{"STRING", `"angry"`, "mood", "not a label"},
		{"STRING", `"Happy"`, "mood", "not a label"},
		{"STRING", `"not json"`, "jsonb", "not JSON"},
		{"STRING", `"nope"`, "uuid", "not a UUID"},
		{"TIMESTAMP", `"2024-01-02T03:04:05Z"`, "date", "not midnight"},
		{"ARRAY<INT64>", `["1"]`, "bigint", "not an array"},
		{"INT64", `"1"`, "bigint[]", "not an ARRAY"},
		{"ARRAY<STRING(MAX)>", `["abcd"]`, "varchar(2)[]", "array element 0"},
		{"BYTES", `"AAE="`, "integer", "no faithful"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%s_to_%s", i, c.spanner, c.colType), func(t *testing.T) {
			table := fmt.Sprintf("rf_%d", i)
			if _, err := d.DB.Exec(fmt.Sprintf(`CREATE TABLE %s (id int PRIMARY KEY, c %s)`, table, c.colType)); err != nil {
				t.Fatal(err)
			}
			src, err := postgresql.ReadSchema(t.Context(), d.DB, "public")
			if err != nil {
				t.Fatal(err)
			}
			col, _ := src.Tables[table].Column("c")
			typ, err := spannertype.Parse(c.spanner)
			if err != nil {
				t.Fatal(err)
			}
			v, err := convert.Value(typ, json.RawMessage(c.raw), col, time.UTC)
			if err == nil {
				t.Fatalf("Value accepted %s for %s: %#v", c.raw, c.colType, v)
			}
			msg := err.Error()
			if !spannervalue.IsConversionError(err) || !strings.Contains(msg, c.reason) || !strings.Contains(msg, `"c"`) ||
				!strings.Contains(msg, col.ColumnType) || !strings.Contains(msg, typ.String()) {
				t.Errorf("error %q: want a spannervalue.ConversionError naming the column, %s, %s and %q", msg, col.ColumnType, typ, c.reason)
			}
		})
	}
}
