package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

var plus10 = time.FixedZone("+10:00", 10*3600)

// col builds a SourceColumn from a COLUMN_TYPE, deriving DATA_TYPE and the
// character length the way information_schema would.
func col(columnType string, maxLen ...int64) schema.SourceColumn {
	dt := columnType
	if i := strings.IndexAny(dt, "( "); i >= 0 {
		dt = dt[:i]
	}
	c := schema.SourceColumn{Name: "c", DataType: dt, ColumnType: columnType}
	if len(maxLen) > 0 {
		c.MaxLength = maxLen[0]
	}
	return c
}

type valueCase struct {
	spanner string // Spanner DDL type
	raw     string // change-record JSON
	col     schema.SourceColumn
	want    any // ignored when wantErr
	wantErr bool
}

func runValueCases(t *testing.T, cases []valueCase) {
	t.Helper()
	for _, c := range cases {
		name := c.spanner + "/" + c.col.ColumnType + "/" + c.raw
		t.Run(name, func(t *testing.T) {
			typ, err := spannertype.Parse(c.spanner)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Value(typ, json.RawMessage(c.raw), c.col, plus10)
			if c.wantErr {
				var ce *spannervalue.ConversionError
				if !errors.As(err, &ce) {
					t.Fatalf("got %#v, %v; want a *spannervalue.ConversionError", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalValue(got, c.want) {
				t.Fatalf("got %#v (%T), want %#v (%T)", got, got, c.want, c.want)
			}
		})
	}
}

func equalValue(a, b any) bool {
	ab, aok := a.([]byte)
	bb, bok := b.([]byte)
	if aok || bok {
		return aok && bok && bytes.Equal(ab, bb)
	}
	return a == b
}

// The common pairs the end-to-end test uses first.
func TestValueCommon(t *testing.T) {
	runValueCases(t, []valueCase{
		{"INT64", `"123"`, col("int(11)"), int64(123), false},
		{"INT64", `"-9223372036854775808"`, col("bigint(20)"), int64(-9223372036854775808), false},
		{"INT64", `"127"`, col("tinyint(4)"), int64(127), false},
		{"INT64", `"128"`, col("tinyint(4)"), nil, true},
		{"INT64", `"1"`, col("tinyint(1)"), int64(1), false},
		{"INT64", `"123"`, col("varchar(10)", 10), "123", false},
		{"INT64", `"123"`, col("decimal(10,2)"), "123", false},
		{"INT64", `"123"`, col("double"), float64(123), false},
		{"INT64", `null`, col("int(11)"), nil, false},
		{"STRING", `"héllo"`, col("varchar(5)", 5), "héllo", false},
		{"STRING(MAX)", `"héllo!"`, col("varchar(5)", 5), nil, true},
		{"STRING", `"x"`, col("char(1)", 1), "x", false},
		{"STRING", `"long text"`, col("text", 65535), "long text", false},
		{"STRING", `"42"`, col("int(11)"), int64(42), false},
		{"STRING", `"4x"`, col("int(11)"), nil, true},
		{"STRING", `null`, col("varchar(5)", 5), nil, false},
		{"BOOL", `true`, col("tinyint(1)"), int64(1), false},
		{"BOOL", `false`, col("tinyint(1)"), int64(0), false},
		{"BOOL", `true`, col("varchar(5)", 5), "true", false},
		{"BOOL", `true`, col("int(11)"), int64(1), false},
		{"FLOAT64", `1.5`, col("double"), 1.5, false},
		{"FLOAT64", `1.5`, col("float"), 1.5, false},
		{"FLOAT64", `1.5`, col("decimal(10,2)"), "1.5", false},
		{"FLOAT64", `1.5`, col("varchar(10)", 10), "1.5", false},
		{"FLOAT64", `2`, col("int(11)"), int64(2), false},
		{"FLOAT64", `2.5`, col("int(11)"), nil, true},
		{"TIMESTAMP", `"2024-02-02T20:00:00Z"`, col("datetime"), "2024-02-03 06:00:00", false},
		{"TIMESTAMP", `"2024-02-02T00:00:00Z"`, col("timestamp"), "2024-02-02 10:00:00", false},
		{"TIMESTAMP", `"2024-02-02T10:00:00.123456789Z"`, col("datetime(6)"), "2024-02-02 20:00:00.123457", false},
		{"TIMESTAMP", `"2024-02-02T10:00:00.5Z"`, col("datetime"), "2024-02-02 20:00:01", false},
		{"TIMESTAMP", `"2024-02-02T20:00:00Z"`, col("varchar(40)", 40), "2024-02-02T20:00:00Z", false},
		{"TIMESTAMP", `"2024-02-02T20:00:00Z"`, col("date"), "2024-02-03", false},
		{"DATE", `"2024-02-02"`, col("date"), "2024-02-02", false},
		{"DATE", `"2024-02-02"`, col("datetime"), "2024-02-02 00:00:00", false},
		{"DATE", `"2024-02-02"`, col("varchar(10)", 10), "2024-02-02", false},
		{"DATE", `"2024-02-30"`, col("date"), nil, true},
		{"STRING", `"1998-01-23T12:45:56Z"`, col("datetime"), "1998-01-23 22:45:56", false},
		{"STRING", `"2023-01-01 10:00:00"`, col("datetime"), "2023-01-01 10:00:00", false},
		{"STRING", `"2023-01-01 10:00:00.25"`, col("timestamp(3)"), "2023-01-01 10:00:00.25", false},
		{"STRING", `"yesterday"`, col("datetime"), nil, true},
	})
}

func TestValueIntegers(t *testing.T) {
	runValueCases(t, []valueCase{
		{"INT64", `"255"`, col("tinyint(3) unsigned"), int64(255), false},
		{"INT64", `"256"`, col("tinyint(3) unsigned"), nil, true},
		{"INT64", `"-1"`, col("int(10) unsigned"), nil, true},
		{"INT64", `"-32768"`, col("smallint(6)"), int64(-32768), false},
		{"INT64", `"-32769"`, col("smallint(6)"), nil, true},
		{"INT64", `"8388607"`, col("mediumint(9)"), int64(8388607), false},
		{"INT64", `"16777216"`, col("mediumint(8) unsigned"), nil, true},
		{"INT64", `"4294967295"`, col("int(10) unsigned"), int64(4294967295), false},
		{"INT64", `"2147483648"`, col("int(11)"), nil, true},
		{"INT64", `"9223372036854775807"`, col("bigint(20) unsigned"), int64(9223372036854775807), false},
		{"INT64", `123`, col("int(11)"), int64(123), false}, // bare number tolerated
		{"INT64", `"1.0"`, col("int(11)"), nil, true},
		{"NUMERIC", `"18446744073709551615"`, col("bigint(20) unsigned"), uint64(18446744073709551615), false},
		{"NUMERIC", `"18446744073709551616"`, col("bigint(20) unsigned"), nil, true},
		{"NUMERIC", `"12.000000000"`, col("int(11)"), int64(12), false},
		{"NUMERIC", `"12.5"`, col("int(11)"), nil, true},
		{"NUMERIC", `"NaN"`, col("int(11)"), nil, true},
		{"STRING", `"+7"`, col("int(11)"), int64(7), false},
		{"STRING", `"true"`, col("tinyint(1)"), int64(1), false},
		{"STRING", `"true"`, col("tinyint(4)"), nil, true},
		{"STRING", `" 7"`, col("int(11)"), nil, true},
		{"STRING", `"-0000000000000000000000000000000000000000000000000001"`, col("int(11)"), int64(-1), false},
		{"STRING", `"1` + strings.Repeat("0", 50) + `"`, col("bigint(20) unsigned"), nil, true},
		{"NUMERIC", `"1` + strings.Repeat("0", 50) + `.5"`, col("bigint(20)"), nil, true},
		{"FLOAT64", `"NaN"`, col("int(11)"), nil, true},
		{"FLOAT64", `"Infinity"`, col("bigint(20)"), nil, true},
		{"FLOAT64", `1e300`, col("bigint(20)"), nil, true},
		{"FLOAT32", `-3`, col("int(11)"), int64(-3), false},
		{"BOOL", `true`, col("bool"), int64(1), false},
		{"ARRAY<INT64>", `["1"]`, col("int(11)"), nil, true},
		{"BYTES", `"AQ=="`, col("int(11)"), nil, true},
		{"DATE", `"2024-01-01"`, col("int(11)"), nil, true},
		{"TIMESTAMP", `"2024-01-01T00:00:00Z"`, col("bigint(20)"), nil, true},
		{"JSON", `"1"`, col("int(11)"), nil, true},
		{"UUID", `"123e4567-e89b-12d3-a456-426614174000"`, col("bigint(20)"), nil, true},
	})
}

func TestValueDecimalAndFloat(t *testing.T) {
	runValueCases(t, []valueCase{
		{"NUMERIC", `"12345.678901234"`, col("decimal(38,9)"), "12345.678901234", false},
		{"NUMERIC", `"99999999999999999999999999999.999999999"`, col("decimal(38,9)"), "99999999999999999999999999999.999999999", false},
		{"NUMERIC", `"12.345"`, col("decimal(10,2)"), "12.35", false},
		{"NUMERIC", `"-12.345"`, col("decimal(10,2)"), "-12.35", false},
		{"NUMERIC", `"99.995"`, col("decimal(4,2)"), nil, true}, // rounds to 100.00
		{"NUMERIC", `"-0.001"`, col("decimal(10,2)"), "0.00", false},
		{"NUMERIC", `"-1"`, col("decimal(10,2) unsigned"), nil, true},
		{"NUMERIC", `"NaN"`, col("decimal(10,2)"), nil, true},
		{"NUMERIC", `"NaN"`, col("varchar(5)", 5), "NaN", false},
		{"NUMERIC", `"12.5"`, col("double"), 12.5, false},
		{"NUMERIC", `"1e500"`, col("double"), nil, true},
		{"NUMERIC", `"12.340000000"`, col("varchar(20)", 20), "12.340000000", false},
		{"NUMERIC", `"12.34"`, col("decimal"), "12", false},
		{"FLOAT64", `1.7976931348623157e308`, col("double"), 1.7976931348623157e308, false},
		{"FLOAT64", `1.7976931348623157e308`, col("float"), nil, true},
		{"FLOAT64", `1.7976931348623157e308`, col("decimal(65,0)"), nil, true},
		{"FLOAT64", `0.1`, col("decimal(10,5)"), "0.1", false},
		{"FLOAT64", `"NaN"`, col("double"), nil, true},
		{"FLOAT64", `"Infinity"`, col("float"), nil, true},
		{"FLOAT64", `"-Infinity"`, col("double"), nil, true},
		{"FLOAT64", `"NaN"`, col("decimal(10,2)"), nil, true},
		{"FLOAT64", `"NaN"`, col("varchar(10)", 10), "NaN", false},
		{"FLOAT64", `"Infinity"`, col("varchar(10)", 10), "Infinity", false},
		{"FLOAT64", `"-Infinity"`, col("text", 65535), "-Infinity", false},
		{"FLOAT64", `-1`, col("double unsigned"), nil, true},
		{"FLOAT32", `1.1`, col("float"), float64(float32(1.1)), false},
		{"FLOAT32", `1.1`, col("varchar(10)", 10), "1.1", false},
		{"FLOAT32", `3.4028235e38`, col("float"), float64(math.MaxFloat32), false},
		{"FLOAT64", `3.5e38`, col("float"), nil, true},
		{"STRING", `"1.25"`, col("double"), 1.25, false},
		{"STRING", `"NaN"`, col("double"), nil, true},
		{"STRING", `"0x10"`, col("double"), nil, true},
		{"STRING", `"1.5e2"`, col("decimal(10,2)"), "150", false},
		{"STRING", `"abc"`, col("decimal(10,2)"), nil, true},
		{"BOOL", `true`, col("decimal(1,0)"), "1", false},
		{"BOOL", `true`, col("double"), 1.0, false},
		{"INT64", `"9007199254740993"`, col("decimal(20,0)"), "9007199254740993", false},
	})
}

func TestValueBitAndYear(t *testing.T) {
	runValueCases(t, []valueCase{
		{"BOOL", `true`, col("bit(1)"), []byte{1}, false},
		{"BOOL", `false`, col("bit(1)"), []byte{0}, false},
		{"INT64", `"5"`, col("bit(3)"), []byte{5}, false},
		{"INT64", `"8"`, col("bit(3)"), nil, true},
		{"INT64", `"258"`, col("bit(10)"), []byte{1, 2}, false},
		{"INT64", `"-1"`, col("bit(64)"), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false},
		{"INT64", `"-1"`, col("bit(8)"), nil, true},
		{"BYTES", `"AQI="`, col("bit(16)"), []byte{1, 2}, false},
		{"BYTES", `"AQ=="`, col("bit(16)"), []byte{0, 1}, false},
		{"BYTES", `"AQID"`, col("bit(16)"), nil, true},
		{"BYTES", `""`, col("bit(8)"), []byte{0}, false},
		{"STRING", `"7"`, col("bit(8)"), []byte{7}, false},
		{"STRING", `"b'101'"`, col("bit(8)"), nil, true},
		{"NUMERIC", `"255"`, col("bit(8)"), []byte{255}, false},
		{"INT64", `"2024"`, col("year(4)"), int64(2024), false},
		{"INT64", `"0"`, col("year"), int64(0), false},
		{"INT64", `"1900"`, col("year"), nil, true},
		{"STRING", `"2155"`, col("year"), int64(2155), false},
		{"STRING", `"24"`, col("year"), nil, true},
		{"DATE", `"2024-01-01"`, col("year"), nil, true},
	})
}

func TestValueText(t *testing.T) {
	runValueCases(t, []valueCase{
		{"BYTES", `"aGk="`, col("varchar(10)", 10), "hi", false},
		{"BYTES", `"/w=="`, col("varchar(10)", 10), nil, true}, // not UTF-8
		{"BYTES", `"!!"`, col("blob"), nil, true},              // not base64
		{"JSON", `"{\"a\":1}"`, col("text", 65535), `{"a":1}`, false},
		{"UUID", `"123E4567-E89B-12D3-A456-426614174000"`, col("char(36)", 36), "123e4567-e89b-12d3-a456-426614174000", false},
		{"ARRAY<INT64>", `["1",null,"3"]`, col("varchar(20)", 20), "[1,null,3]", false},
		{"ARRAY<STRING(MAX)>", `["a","b"]`, col("longtext", 4294967295), `["a","b"]`, false},
		{"STRING", `"abcd"`, col("tinytext", 3), nil, true},
		{"STRING", `"é"`, col("tinytext", 2), "é", false},
		{"STRING", `"a\u0000b"`, col("varchar(5)", 5), "a\x00b", false},
		{"STRING", `"b"`, col("enum('a','b')"), "b", false},
		{"STRING", `"B"`, col("enum('a','b')"), "b", false},
		{"STRING", `"c"`, col("enum('a','b')"), nil, true},
		{"STRING", `"it's"`, col("enum('it''s','x y')"), "it's", false},
		{"INT64", `"2"`, col("enum('1','2')"), "2", false},
		{"ARRAY<STRING>", `["a"]`, col("enum('a','b')"), nil, true},
		{"ARRAY<STRING>", `["a","c"]`, col("set('a','b','c')"), "a,c", false},
		{"ARRAY<STRING>", `[]`, col("set('a','b','c')"), "", false},
		{"ARRAY<STRING>", `["a","d"]`, col("set('a','b','c')"), nil, true},
		{"ARRAY<STRING>", `["a",null]`, col("set('a','b','c')"), nil, true},
		{"ARRAY<STRING>", `["a,b"]`, col("set('a','b','c')"), nil, true},
		{"STRING", `"b,a"`, col("set('a','b','c')"), "b,a", false},
	})
}

func TestValueJSON(t *testing.T) {
	runValueCases(t, []valueCase{
		{"JSON", `"{\"k1\": \"v1\"}"`, col("json"), `{"k1": "v1"}`, false},
		{"JSON", `{"k":1}`, col("json"), `{"k":1}`, false}, // nested form tolerated
		{"JSON", `"{bad"`, col("json"), nil, true},
		{"STRING", `"[1,2]"`, col("json"), "[1,2]", false},
		{"STRING", `"not json"`, col("json"), nil, true},
		{"INT64", `"5"`, col("json"), "5", false},
		{"BOOL", `false`, col("json"), "false", false},
		{"DATE", `"2024-01-02"`, col("json"), `"2024-01-02"`, false},
		{"ARRAY<INT64>", `["1","2"]`, col("json"), "[1,2]", false},
		{"ARRAY<FLOAT64>", `[1.5,"NaN",null]`, col("json"), `[1.5,"NaN",null]`, false},
		{"ARRAY<NUMERIC>", `["1.50"]`, col("json"), `[1.50]`, false},
		{"ARRAY<BYTES>", `["aGk="]`, col("json"), `["aGk="]`, false},
		{"ARRAY<JSON>", `["{\"a\":1}"]`, col("json"), `[{"a":1}]`, false},
		{"ARRAY<STRING>", `["x\"y"]`, col("json"), `["x\"y"]`, false},
		{"ARRAY<TIMESTAMP>", `["2024-01-02T03:04:05Z"]`, col("json"), `["2024-01-02T03:04:05Z"]`, false},
		{"ARRAY<UUID>", `["123e4567-e89b-12d3-a456-426614174000"]`, col("json"), `["123e4567-e89b-12d3-a456-426614174000"]`, false},
		{"ARRAY<BOOL>", `[true]`, col("json"), `[true]`, false},
		{"ARRAY<DATE>", `["2024-01-02"]`, col("json"), `["2024-01-02"]`, false},
	})
}

func TestValueBinary(t *testing.T) {
	runValueCases(t, []valueCase{
		{"BYTES", `"AAEC/w=="`, col("varbinary(10)", 10), []byte{0, 1, 2, 255}, false},
		{"BYTES(16)", `"AAEC/w=="`, col("binary(3)", 3), nil, true},
		{"BYTES", `"AAEC/w=="`, col("longblob", 4294967295), []byte{0, 1, 2, 255}, false},
		{"BYTES", `""`, col("blob", 65535), []byte{}, false},
		{"BYTES", `"AAEC/w"`, col("blob", 65535), []byte{0, 1, 2, 255}, false}, // unpadded
		{"STRING", `"hé"`, col("binary(3)", 3), []byte("hé"), false},
		{"STRING", `"hé"`, col("tinyblob", 255), []byte("hé"), false},
		{"UUID", `"00112233-4455-6677-8899-aabbccddeeff"`, col("binary(16)", 16),
			[]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, false},
		{"UUID", `"00112233-4455-6677-8899-aabbccddeeff"`, col("varbinary(36)", 36), []byte("00112233-4455-6677-8899-aabbccddeeff"), false},
		{"UUID", `"00112233-4455-6677-8899-aabbccddeeff"`, col("uuid"), "00112233-4455-6677-8899-aabbccddeeff", false},
		{"STRING", `"nope"`, col("uuid"), nil, true},
		{"UUID", `"0011"`, col("char(36)", 36), nil, true},
		{"ARRAY<BYTES>", `["AA=="]`, col("blob", 65535), nil, true},
		{"INT64", `"12"`, col("varbinary(5)", 5), []byte("12"), false},
	})
}

func TestValueTemporal(t *testing.T) {
	runValueCases(t, []valueCase{
		{"TIMESTAMP", `"2024-02-02T10:00:00Z"`, col("timestamp"), "2024-02-02 20:00:00", false},
		{"TIMESTAMP", `"2024-02-02T20:00:00+02:00"`, col("datetime"), "2024-02-03 04:00:00", false},
		{"TIMESTAMP", `"2024-02-02T20:00:00.000001Z"`, col("datetime(6)"), "2024-02-03 06:00:00.000001", false},
		{"TIMESTAMP", `"2024-02-02T13:59:59.9996Z"`, col("datetime(3)"), "2024-02-03 00:00:00", false},
		{"TIMESTAMP", `"9999-12-31T20:00:00Z"`, col("datetime"), nil, true}, // +10:00 leaves year 9999
		{"TIMESTAMP", `"2040-01-01T00:00:00Z"`, col("timestamp"), nil, true},
		// TIMESTAMP's range is one of instants: the writer's session reads
		// the wall clock in the source zone (+10:00 here).
		{"TIMESTAMP", `"2038-01-19T03:14:07Z"`, col("timestamp"), "2038-01-19 13:14:07", false},
		{"TIMESTAMP", `"2038-01-19T03:14:08Z"`, col("timestamp"), nil, true},
		{"TIMESTAMP", `"1970-01-01T00:00:01Z"`, col("timestamp"), "1970-01-01 10:00:01", false},
		{"TIMESTAMP", `"1970-01-01T00:00:00Z"`, col("timestamp"), nil, true},
		{"TIMESTAMP", `"0001-01-01T00:00:00Z"`, col("datetime"), "0001-01-01 10:00:00", false},
		{"TIMESTAMP", `"2024-02-02T20:00:00Z"`, col("time"), "06:00:00", false},
		{"TIMESTAMP", `"2024-02-02T20:00:00.25Z"`, col("time(2)"), "06:00:00.25", false},
		{"TIMESTAMP", `"not a time"`, col("datetime"), nil, true},
		{"TIMESTAMP", `"2024-02-02 20:00:00"`, col("datetime"), nil, true}, // TIMESTAMP must carry a zone
		{"STRING", `"12:34:56"`, col("time"), "12:34:56", false},
		{"STRING", `"-838:59:59"`, col("time"), "-838:59:59", false},
		{"STRING", `"839:00:00"`, col("time"), nil, true},
		{"STRING", `"2024-01-01"`, col("time"), nil, true},
		{"DATE", `"2024-01-01"`, col("time"), nil, true},
		{"STRING", `"2024-01-01"`, col("date"), "2024-01-01", false},
		{"STRING", `"2024-01-01 23:00:00"`, col("date"), "2024-01-01", false},
		{"STRING", `"2024-01-01T23:00:00Z"`, col("date"), "2024-01-02", false},
		{"STRING", `"2024-01-01"`, col("datetime"), "2024-01-01 00:00:00", false},
		{"STRING", `"2023-01-01T10:00:00"`, col("datetime"), "2023-01-01 10:00:00", false},
		{"INT64", `"20240101"`, col("date"), nil, true},
		{"DATE", `"0001-01-01"`, col("date"), "0001-01-01", false},
		{"BOOL", `true`, col("timestamp"), nil, true},
	})
}

func TestValueUnsupported(t *testing.T) {
	runValueCases(t, []valueCase{
		{"STRING", `"POINT(1 1)"`, col("geometry"), nil, true},
		{"STRING", `"x"`, schema.SourceColumn{Name: "c"}, nil, true},
		{"INT64", `"x"`, col("int(11)"), nil, true},
		{"BOOL", `"yes"`, col("tinyint(1)"), nil, true},
		{"STRING", `5`, col("varchar(5)", 5), nil, true},
		{"ARRAY<INT64>", `"1"`, col("json"), nil, true},
		{"ARRAY<INT64>", `["x"]`, col("json"), nil, true},
	})
}

func TestValueNilZone(t *testing.T) {
	typ, _ := spannertype.Parse("TIMESTAMP")
	got, err := Value(typ, json.RawMessage(`"2024-02-02T20:00:00Z"`), col("datetime"), nil)
	if err != nil || got != "2024-02-02 20:00:00" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestConversionErrorMessage(t *testing.T) {
	typ, _ := spannertype.Parse("ARRAY<STRING>")
	long := `["` + strings.Repeat("é", 200) + `"]`
	_, err := Value(typ, json.RawMessage(long), schema.SourceColumn{Name: "tags", DataType: "int", ColumnType: "int(11)"}, nil)
	var ce *spannervalue.ConversionError
	if !errors.As(err, &ce) || !spannervalue.IsConversionError(err) {
		t.Fatalf("want *spannervalue.ConversionError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`"tags"`, "ARRAY<STRING>", "into MySQL int(11)", `["éé`, "(404 bytes)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if len(ce.Value) > spannertype.MaxShown+20 {
		t.Errorf("Value not shortened: %d bytes", len(ce.Value))
	}
	if spannervalue.IsConversionError(errors.New("other")) {
		t.Error("spannervalue.IsConversionError on a plain error")
	}
}
