package convert

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// roundTrip is one Spanner value written through Value into a real column
// and read back as the server renders it.
type roundTrip struct {
	spanner string
	raw     string
	colType string // DDL of the MySQL column
	want    string // text the server returns for sel
	sel     string // read-back expression; "c" when empty
}

// TestMariaDBRoundTrip checks that the Go values Value returns are stored as
// intended by a real server in strict mode, with the column metadata taken
// from information_schema rather than written by hand.
func TestMariaDBRoundTrip(t *testing.T) {
	db, _ := testenv.MySQL(t)
	cases := []roundTrip{
		// Integers.
		{"INT64", `"123"`, "int", "123", ""},
		{"INT64", `"-9223372036854775808"`, "bigint", "-9223372036854775808", ""},
		{"INT64", `"9223372036854775807"`, "bigint unsigned", "9223372036854775807", ""},
		{"NUMERIC", `"18446744073709551615"`, "bigint unsigned", "18446744073709551615", ""},
		{"INT64", `"-128"`, "tinyint", "-128", ""},
		{"INT64", `"255"`, "tinyint unsigned", "255", ""},
		{"INT64", `"-32768"`, "smallint", "-32768", ""},
		{"INT64", `"16777215"`, "mediumint unsigned", "16777215", ""},
		{"INT64", `"4294967295"`, "int unsigned", "4294967295", ""},
		{"BOOL", `true`, "tinyint(1)", "1", ""},
		{"BOOL", `false`, "boolean", "0", ""},
		{"STRING", `"true"`, "tinyint(1)", "1", ""},
		{"STRING", `"42"`, "int", "42", ""},
		{"FLOAT64", `7`, "smallint", "7", ""},
		{"NUMERIC", `"12.000000000"`, "int", "12", ""},
		// Decimal.
		{"NUMERIC", `"12345.678901234"`, "decimal(38,9)", "12345.678901234", ""},
		{"NUMERIC", `"99999999999999999999999999999.999999999"`, "decimal(38,9)", "99999999999999999999999999999.999999999", ""},
		{"NUMERIC", `"12.345"`, "decimal(10,2)", "12.35", ""},
		{"NUMERIC", `"-12.345"`, "decimal(10,2)", "-12.35", ""},
		{"FLOAT64", `0.1`, "decimal(10,5)", "0.10000", ""},
		{"INT64", `"9007199254740993"`, "decimal(20,0)", "9007199254740993", ""},
		{"STRING", `"1.5e2"`, "decimal(10,2)", "150.00", ""},
		// Floating point.
		{"FLOAT64", `1.7976931348623157e308`, "double", "1.7976931348623157e+308", ""},
		{"FLOAT64", `-2.5e-300`, "double", "-2.5e-300", ""},
		{"FLOAT64", `0.1`, "double", "0.1", ""},
		{"FLOAT32", `1.1`, "float", "1.1", ""},
		{"FLOAT32", `3.4028235e38`, "float", "3.40282e+38", ""},
		{"NUMERIC", `"12.5"`, "double", "12.5", ""},
		{"INT64", `"123"`, "double", "123", ""},
		// Bit.
		{"BOOL", `true`, "bit(1)", "1", "c+0"},
		{"INT64", `"5"`, "bit(3)", "5", "c+0"},
		{"INT64", `"258"`, "bit(10)", "258", "c+0"},
		{"INT64", `"-1"`, "bit(64)", "18446744073709551615", "c+0"},
		{"BYTES", `"AQ=="`, "bit(16)", "1", "c+0"},
		{"BYTES", `"gAE="`, "bit(16)", "32769", "c+0"},
		// Year.
		{"INT64", `"2024"`, "year", "2024", ""},
		{"STRING", `"2155"`, "year", "2155", ""},
		// Character types.
		{"STRING", `"héllo 😀"`, "varchar(7)", "héllo 😀", ""},
		{"STRING", `"it's a \\ back\"slash"`, "varchar(40)", `it's a \ back"slash`, ""},
		{"STRING", `"x"`, "char(3)", "x", ""},
		{"STRING", `"a\u0000b"`, "varchar(5)", "610062", "HEX(c)"},
		{"STRING", `"long"`, "text", "long", ""},
		{"STRING", `"tiny"`, "tinytext", "tiny", ""},
		{"INT64", `"123"`, "varchar(10)", "123", ""},
		{"BOOL", `true`, "varchar(5)", "true", ""},
		{"FLOAT64", `"NaN"`, "varchar(10)", "NaN", ""},
		{"FLOAT64", `"-Infinity"`, "varchar(10)", "-Infinity", ""},
		{"FLOAT64", `1.5`, "varchar(10)", "1.5", ""},
		{"FLOAT32", `1.1`, "varchar(10)", "1.1", ""},
		{"NUMERIC", `"12.340000000"`, "mediumtext", "12.340000000", ""},
		{"BYTES", `"aGk="`, "varchar(10)", "hi", ""},
		{"DATE", `"2024-02-02"`, "char(10)", "2024-02-02", ""},
		{"TIMESTAMP", `"2024-02-02T20:00:00.5Z"`, "varchar(40)", "2024-02-02T20:00:00.5Z", ""},
		{"JSON", `"{\"a\": [1, 2]}"`, "longtext", `{"a": [1, 2]}`, ""},
		{"UUID", `"123e4567-e89b-12d3-a456-426614174000"`, "char(36)", "123e4567-e89b-12d3-a456-426614174000", ""},
		{"ARRAY<INT64>", `["1",null,"3"]`, "varchar(20)", "[1,null,3]", ""},
		// Enum and set.
		{"STRING", `"b"`, "enum('a','b')", "b", ""},
		{"STRING", `"it's"`, "enum('it''s','x y')", "it's", ""},
		{"STRING", `"x y"`, "enum('it''s','x y')", "x y", ""},
		{"INT64", `"2"`, "enum('1','2')", "2", ""},
		{"ARRAY<STRING>", `["c","a"]`, "set('a','b','c')", "a,c", ""},
		{"ARRAY<STRING>", `[]`, "set('a','b','c')", "", ""},
		{"STRING", `"b,a"`, "set('a','b','c')", "a,b", ""},
		// JSON (MariaDB's JSON is LONGTEXT with a json_valid check).
		{"JSON", `"{\"k1\": \"v1\"}"`, "json", `{"k1": "v1"}`, ""},
		{"STRING", `"[1,2]"`, "json", "[1,2]", ""},
		{"INT64", `"5"`, "json", "5", ""},
		{"ARRAY<INT64>", `["1","2"]`, "json", "[1,2]", ""},
		{"ARRAY<FLOAT64>", `[1.5,"NaN",null]`, "json", `[1.5,"NaN",null]`, ""},
		{"ARRAY<STRING>", `["x\"y","é"]`, "json", `["x\"y","é"]`, ""},
		{"ARRAY<BYTES>", `["aGk="]`, "json", `["aGk="]`, ""},
		{"ARRAY<JSON>", `["{\"a\":1}"]`, "json", `[{"a":1}]`, ""},
		// Dates and times; the zone is +10:00 as in the Java timezone IT.
		{"TIMESTAMP", `"2024-02-02T00:00:00Z"`, "datetime", "2024-02-02 10:00:00", ""},
		{"TIMESTAMP", `"2024-02-02T10:00:00Z"`, "timestamp", "2024-02-02 20:00:00", ""},
		{"TIMESTAMP", `"2024-02-02T20:00:00Z"`, "datetime", "2024-02-03 06:00:00", ""},
		{"TIMESTAMP", `"2024-02-02T20:00:00Z"`, "timestamp", "2024-02-03 06:00:00", ""},
		{"TIMESTAMP", `"2024-02-02T10:00:00.123456789Z"`, "datetime(6)", "2024-02-02 20:00:00.123457", ""},
		{"TIMESTAMP", `"2024-02-02T10:00:00.5Z"`, "datetime", "2024-02-02 20:00:01", ""},
		{"TIMESTAMP", `"2024-02-02T13:59:59.9996Z"`, "datetime(3)", "2024-02-03 00:00:00.000", ""},
		{"TIMESTAMP", `"0001-01-01T00:00:00Z"`, "datetime", "0001-01-01 10:00:00", ""},
		{"TIMESTAMP", `"2024-02-02T20:00:00Z"`, "date", "2024-02-03", ""},
		{"TIMESTAMP", `"2024-02-02T20:00:00.25Z"`, "time(2)", "06:00:00.25", ""},
		{"DATE", `"2024-02-02"`, "date", "2024-02-02", ""},
		{"DATE", `"0001-01-01"`, "date", "0001-01-01", ""},
		{"DATE", `"2024-02-02"`, "datetime", "2024-02-02 00:00:00", ""},
		{"STRING", `"1998-01-23T12:45:56Z"`, "datetime", "1998-01-23 22:45:56", ""},
		{"STRING", `"2023-01-01 10:00:00"`, "datetime", "2023-01-01 10:00:00", ""},
		{"STRING", `"2023-01-01 10:00:00"`, "timestamp", "2023-01-01 10:00:00", ""},
		{"STRING", `"-838:59:59"`, "time", "-838:59:59", ""},
		{"STRING", `"2024-01-01T23:00:00Z"`, "date", "2024-01-02", ""},
		// Binary types.
		{"BYTES", `"AAEC/w=="`, "varbinary(10)", "000102FF", "HEX(c)"},
		{"BYTES", `"AAEC/w=="`, "binary(6)", "000102FF0000", "HEX(c)"},
		{"BYTES", `"AAEC/w=="`, "blob", "000102FF", "HEX(c)"},
		{"BYTES", `""`, "longblob", "", "HEX(c)"},
		{"BYTES", `"AAEC/w=="`, "tinyblob", "000102FF", "HEX(c)"},
		{"BYTES", `"AAEC/w=="`, "mediumblob", "000102FF", "HEX(c)"},
		{"STRING", `"hé"`, "binary(3)", "68C3A9", "HEX(c)"},
		{"STRING", `"hé"`, "blob", "68C3A9", "HEX(c)"},
		{"UUID", `"00112233-4455-6677-8899-aabbccddeeff"`, "binary(16)", "00112233445566778899AABBCCDDEEFF", "HEX(c)"},
		{"UUID", `"00112233-4455-6677-8899-aabbccddeeff"`, "uuid", "00112233-4455-6677-8899-aabbccddeeff", ""},
		// NULL into anything nullable.
		{"INT64", `null`, "int", "<NULL>", ""},
		{"ARRAY<STRING>", `null`, "json", "<NULL>", ""},
		{"TIMESTAMP", `null`, "timestamp NULL", "<NULL>", ""},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%s_into_%s", i, c.spanner, c.colType), func(t *testing.T) {
			table := fmt.Sprintf("rt%d", i)
			if _, err := db.Exec(fmt.Sprintf("CREATE TABLE %s (id INT PRIMARY KEY, c %s)", table, c.colType)); err != nil {
				t.Fatal(err)
			}
			col := loadColumn(t, db, table, "c")
			typ, err := spannertype.Parse(c.spanner)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Value(typ, json.RawMessage(c.raw), col, plus10)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("INSERT INTO "+table+" (id, c) VALUES (1, ?)", v); err != nil {
				t.Fatalf("insert %#v: %v", v, err)
			}
			sel := c.sel
			if sel == "" {
				sel = "c"
			}
			var got sql.NullString
			if err := db.QueryRow("SELECT " + sel + " FROM " + table).Scan(&got); err != nil {
				t.Fatal(err)
			}
			text := got.String
			if !got.Valid {
				text = "<NULL>"
			}
			if text != c.want {
				t.Errorf("bound %#v, read back %q, want %q", v, text, c.want)
			}
			checkCanonical(t, db, table, col, v)
		})
	}
}

// TestMariaDBRejectsWhatWeReject documents, for a few range errors, that the
// server in strict mode refuses the value too: the spannervalue.ConversionError is not
// stricter than MySQL, it only fails earlier and permanently.
func TestMariaDBRejectsWhatWeReject(t *testing.T) {
	db, _ := testenv.MySQL(t)
	cases := []struct {
		spanner, raw, colType, serverLiteral string
	}{
		{"INT64", `"256"`, "tinyint unsigned", "256"},
		{"INT64", `"-1"`, "int unsigned", "-1"},
		{"NUMERIC", `"99.995"`, "decimal(4,2)", "99.995"},
		{"STRING", `"abcdef"`, "varchar(5)", "'abcdef'"},
		{"STRING", `"c"`, "enum('a','b')", "'c'"},
		{"INT64", `"8"`, "bit(3)", "8"},
		{"TIMESTAMP", `"2040-01-01T00:00:00Z"`, "timestamp", "'2040-01-01 10:00:00'"},
		{"FLOAT64", `3.5e38`, "float", "3.5e38"},
		{"STRING", `"` + strings.Repeat("é", 128) + `"`, "tinytext", "'" + strings.Repeat("é", 128) + "'"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%s_into_%s", i, c.spanner, c.colType), func(t *testing.T) {
			table := fmt.Sprintf("rj%d", i)
			if _, err := db.Exec(fmt.Sprintf("CREATE TABLE %s (id INT PRIMARY KEY, c %s)", table, c.colType)); err != nil {
				t.Fatal(err)
			}
			col := loadColumn(t, db, table, "c")
			typ, _ := spannertype.Parse(c.spanner)
			if v, err := Value(typ, json.RawMessage(c.raw), col, plus10); !spannervalue.IsConversionError(err) {
				t.Fatalf("Value = %#v, %v; want a spannervalue.ConversionError", v, err)
			}
			if _, err := db.Exec("INSERT INTO " + table + " (id, c) VALUES (1, " + c.serverLiteral + ")"); err == nil {
				t.Errorf("server accepted %s into %s", c.serverLiteral, c.colType)
			}
		})
	}
}

// checkCanonical checks the canonical forms of runMode=verify: the value
// bound and the value read back (as the verify scanner selects it) are the
// same text.
func checkCanonical(t *testing.T, db *sql.DB, table string, col schema.SourceColumn, bound any) {
	t.Helper()
	var raw sql.RawBytes
	rows, err := db.Query("SELECT " + StoredExpr(col, "c") + " FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal("no row read back")
	}
	if err := rows.Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if raw != nil {
		stored = append([]byte{}, raw...)
	}
	want, err := CanonicalBound(col, bound)
	if err != nil {
		t.Fatalf("CanonicalBound(%#v): %v", bound, err)
	}
	got, err := CanonicalStored(col, stored)
	if err != nil {
		t.Fatalf("CanonicalStored(%q): %v", stored, err)
	}
	if got != want {
		t.Errorf("canonical forms differ: bound %#v -> %v, stored %q -> %v", bound, want, stored, got)
	}
}

func loadColumn(t *testing.T, db *sql.DB, table, name string) schema.SourceColumn {
	t.Helper()
	var c schema.SourceColumn
	var maxLen sql.NullInt64
	var nullable string
	err := db.QueryRow(`SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
		table, name).Scan(&c.Name, &c.DataType, &c.ColumnType, &nullable, &maxLen)
	if err != nil {
		t.Fatalf("information_schema for %s.%s: %v", table, name, err)
	}
	c.Nullable = nullable == "YES"
	c.MaxLength = maxLen.Int64
	return c
}
