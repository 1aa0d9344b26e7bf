package integration_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// typeCase is the value written to <table>.<table minus _table>_col in
// Spanner (as text, turned into the column's Go type) and what MySQL must
// then hold, read back as sel(col).
type typeCase struct {
	spanner string
	want    string
	sel     string // "", "hex", "bit" (col+0), "json" (JSON_COMPACT) or "ts" (TIMESTAMP in the source zone)
}

// typeMatrix covers every table of SpannerToMySqlDataTypesIT (both
// dialects). Timestamps assume sourceDbTimezoneOffset +10:00 for the
// GoogleSQL run and +00:00 for the PostgreSQL one, see wantFor. The Java
// template fails on set_to_array and the *_to_string binary and bit tables;
// this port writes them.
var typeMatrix = map[string]typeCase{
	"bigint_table":                      {spanner: "9223372036854775807", want: "9223372036854775807"},
	"bigint_to_string_table":            {spanner: "-9223372036854775808", want: "-9223372036854775808"},
	"bigint_unsigned_table":             {spanner: "18446744073709551615", want: "18446744073709551615"},
	"binary_table":                      {spanner: "AQL/", want: "0102FF" + strings.Repeat("00", 252), sel: "hex"},
	"binary_to_string_table":            {spanner: "abc", want: "616263" + strings.Repeat("00", 252), sel: "hex"},
	"bit_table":                         {spanner: "AQI=", want: "258", sel: "bit"},
	"bit_to_bool_table":                 {spanner: "true", want: "1", sel: "bit"},
	"bit_to_int64_table":                {spanner: "12345", want: "12345", sel: "bit"},
	"bit_to_string_table":               {spanner: "513", want: "513", sel: "bit"},
	"blob_table":                        {spanner: "AAEC", want: "000102", sel: "hex"},
	"blob_to_string_table":              {spanner: "blob text", want: "blob text"},
	"bool_table":                        {spanner: "true", want: "1"},
	"bool_to_string_table":              {spanner: "true", want: "1"},
	"boolean_table":                     {spanner: "false", want: "0"},
	"boolean_to_bool_table":             {spanner: "true", want: "1"},
	"boolean_to_string_table":           {spanner: "false", want: "0"},
	"char_table":                        {spanner: "char value", want: "char value"},
	"date_table":                        {spanner: "2024-02-29", want: "2024-02-29"},
	"date_to_string_table":              {spanner: "2023-12-31", want: "2023-12-31"},
	"datetime_table":                    {spanner: "2024-02-02T20:00:00Z", want: "tz:2024-02-02T20:00:00Z"},
	"datetime_to_string_table":          {spanner: "1998-01-23T12:45:56Z", want: "tz:1998-01-23T12:45:56Z"},
	"decimal_table":                     {spanner: "12345.678901234", want: "12345.678901234000000000000000000000"},
	"decimal_to_string_table":           {spanner: "-0.5", want: "-0.500000000000000000000000000000"},
	"dec_to_numeric_table":              {spanner: "1.000000001", want: "1.000000001000000000000000000000"},
	"dec_to_string_table":               {spanner: "99.99", want: "99.990000000000000000000000000000"},
	"double_table":                      {spanner: "3.5", want: "3.5"},
	"double_to_string_table":            {spanner: "2.25", want: "2.25"},
	"double_precision_to_float64_table": {spanner: "-1.5", want: "-1.5"},
	"double_precision_to_string_table":  {spanner: "100", want: "100"},
	"enum_table":                        {spanner: "2", want: "2"},
	"float_table":                       {spanner: "1.5", want: "1.5"},
	"float_to_float32_table":            {spanner: "2.5", want: "2.5"},
	"float_to_string_table":             {spanner: "0.25", want: "0.25"},
	"int_table":                         {spanner: "2147483647", want: "2147483647"},
	"int_to_string_table":               {spanner: "-2147483648", want: "-2147483648"},
	"integer_to_int64_table":            {spanner: "7", want: "7"},
	"integer_to_string_table":           {spanner: "8", want: "8"},
	"integer_unsigned_table":            {spanner: "4294967295", want: "4294967295"},
	"test_json_table":                   {spanner: `{"k1": "v1", "n": [1, 2]}`, want: `{"k1":"v1","n":[1,2]}`, sel: "json"},
	"json_to_string_table":              {spanner: `{"a": [1, 2]}`, want: `{"a":[1,2]}`, sel: "json"},
	"longblob_table":                    {spanner: "/w==", want: "FF", sel: "hex"},
	"longblob_to_string_table":          {spanner: "long blob", want: "long blob"},
	"longtext_table":                    {spanner: "long text é", want: "long text é"},
	"mediumblob_table":                  {spanner: "AA==", want: "00", sel: "hex"},
	"mediumblob_to_string_table":        {spanner: "medium blob", want: "medium blob"},
	"mediumint_table":                   {spanner: "-8388608", want: "-8388608"},
	"mediumint_to_string_table":         {spanner: "8388607", want: "8388607"},
	"mediumint_unsigned_table":          {spanner: "16777215", want: "16777215"},
	"mediumtext_table":                  {spanner: "medium text", want: "medium text"},
	"numeric_to_numeric_table":          {spanner: "-99999999999999999999999999999.999999999", want: "-99999999999999999999999999999.999999999000000000000000000000"},
	"numeric_to_string_table":           {spanner: "3.14159", want: "3.141590000000000000000000000000"},
	"real_to_float64_table":             {spanner: "0.1", want: "0.1"},
	"real_to_string_table":              {spanner: "1e-3", want: "0.001"},
	"set_table":                         {spanner: "v1,v3", want: "v1,v3"},
	"set_to_array_table":                {spanner: "v1,v2", want: "v1,v2"},
	"smallint_table":                    {spanner: "-32768", want: "-32768"},
	"smallint_to_string_table":          {spanner: "32767", want: "32767"},
	"smallint_unsigned_table":           {spanner: "65535", want: "65535"},
	"text_table":                        {spanner: "text 'quoted' \\ back", want: "text 'quoted' \\ back"},
	"time_table":                        {spanner: "23:59:59", want: "23:59:59"},
	"timestamp_table":                   {spanner: "2024-02-02T00:00:00Z", want: "tz:2024-02-02T00:00:00Z", sel: "ts"},
	"timestamp_to_string_table":         {spanner: "2024-02-02T10:00:00Z", want: "tz:2024-02-02T10:00:00Z", sel: "ts"},
	"tinyblob_table":                    {spanner: "dGlueQ==", want: "74696E79", sel: "hex"},
	"tinyblob_to_string_table":          {spanner: "tiny", want: "tiny"},
	"tinyint_table":                     {spanner: "-128", want: "-128"},
	"tinyint_to_string_table":           {spanner: "127", want: "127"},
	"tinyint_unsigned_table":            {spanner: "255", want: "255"},
	"tinytext_table":                    {spanner: "tiny text", want: "tiny text"},
	"varbinary_table":                   {spanner: "q83v", want: "ABCDEF", sel: "hex"},
	"varbinary_to_string_table":         {spanner: "varbinary", want: "varbinary"},
	"varchar_table":                     {spanner: "varchar ü", want: "varchar ü"},
	"year_table":                        {spanner: "2024", want: "2024"},
}

// javaTypeColumn names the value column of a typeMatrix table.
func javaTypeColumn(table string) string { return strings.TrimSuffix(table, "_table") + "_col" }

// offsetOf renders tz's offset as MySQL's +HH:MM.
func offsetOf(tz *time.Location) string {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, tz).Format("-07:00")
}

// wantFor resolves "tz:<instant>" expectations: the instant as a wall
// clock in the source zone.
func wantFor(c typeCase, tz *time.Location) string {
	inst, ok := strings.CutPrefix(c.want, "tz:")
	if !ok {
		return c.want
	}
	ts, _ := time.Parse(time.RFC3339, inst)
	return ts.In(tz).Format("2006-01-02 15:04:05")
}

// spannerValue turns a matrix value into the Go value the Spanner client
// writes to a column of type ddlType (either dialect).
func spannerValue(ddlType, v string, pg bool) (any, error) {
	typ, err := spannertype.Parse(ddlType)
	if err != nil {
		return nil, err
	}
	var out any
	switch typ.Code {
	case spannertype.CodeInt64:
		out, err = strconv.ParseInt(v, 10, 64)
	case spannertype.CodeString:
		out = v
	case spannertype.CodeBool:
		out, err = strconv.ParseBool(v)
	case spannertype.CodeFloat64:
		out, err = strconv.ParseFloat(v, 64)
	case spannertype.CodeFloat32:
		var f float64
		f, err = strconv.ParseFloat(v, 32)
		out = float32(f)
	case spannertype.CodeNumeric:
		if pg {
			out = spanner.PGNumeric{Numeric: v, Valid: true}
		} else {
			r, ok := new(big.Rat).SetString(v)
			if !ok {
				return nil, fmt.Errorf("bad NUMERIC %q", v)
			}
			out = r
		}
	case spannertype.CodeBytes:
		out, err = base64.StdEncoding.DecodeString(v)
	case spannertype.CodeDate:
		out, err = civil.ParseDate(v)
	case spannertype.CodeTimestamp:
		out, err = time.Parse(time.RFC3339Nano, v)
	case spannertype.CodeJSON:
		if pg {
			out = spanner.PGJsonB{Value: rawJSON(v), Valid: true}
		} else {
			out = spanner.NullJSON{Value: rawJSON(v), Valid: true}
		}
	case spannertype.CodeArray:
		out = strings.Split(v, ",")
	default:
		return nil, fmt.Errorf("no test value for Spanner type %s", ddlType)
	}
	if err != nil {
		return nil, fmt.Errorf("value %q for %s: %w", v, ddlType, err)
	}
	return out, nil
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// typeMatrixWrites inserts, for every data-type table, row 1 with the
// matrix value, row 2 with NULL and row 3, then deletes row 3 and updates
// row 1 to the same value (an UPDATE record).
func typeMatrixWrites(ctx context.Context, client *spanner.Client, sp schema.Spanner, pg bool, matrix map[string]typeCase, column func(table string) string) error {
	var ins, upd, del []*spanner.Mutation
	for name, c := range matrix {
		tbl, ok := sp.Tables[name]
		if !ok {
			return fmt.Errorf("Spanner has no table %s", name)
		}
		col := column(name)
		sc, ok := tbl.Column(col)
		if !ok {
			return fmt.Errorf("table %s has no column %s", name, col)
		}
		v, err := spannerValue(sc.Type, c.spanner, pg)
		if err != nil {
			return fmt.Errorf("table %s: %w", name, err)
		}
		cols := []string{"id", col}
		ins = append(ins, spanner.Insert(name, cols, []any{int64(1), v}), spanner.Insert(name, cols, []any{int64(2), nil}),
			spanner.Insert(name, cols, []any{int64(3), v}))
		upd = append(upd, spanner.Update(name, cols, []any{int64(1), v}))
		del = append(del, spanner.Delete(name, spanner.Key{int64(3)}))
	}
	for _, ms := range [][]*spanner.Mutation{ins, upd, del} {
		if _, err := client.Apply(ctx, ms); err != nil {
			return err
		}
	}
	return nil
}

// checkTypeMatrix compares every data-type table in MySQL with the matrix.
func checkTypeMatrix(t *testing.T, db *sql.DB, tz *time.Location, matrix map[string]typeCase, column func(table string) string) {
	t.Helper()
	names := make([]string, 0, len(matrix))
	for n := range matrix {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := matrix[name]
		col := "`" + column(name) + "`"
		expr := "CAST(" + col + " AS CHAR)"
		switch c.sel {
		case "hex":
			expr = "HEX(" + col + ")"
		case "bit":
			expr = "CAST(" + col + "+0 AS CHAR)"
		case "json":
			expr = "JSON_COMPACT(" + col + ")"
		case "ts":
			// A TIMESTAMP holds the instant: read as a wall clock in
			// the source zone, like a DATETIME.
			expr = fmt.Sprintf("CAST(CONVERT_TZ(%s, '+00:00', '%s') AS CHAR)", col, offsetOf(tz))
		}
		rows, err := db.Query(fmt.Sprintf("SELECT id, %s FROM `%s` ORDER BY id", expr, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var got []string
		for rows.Next() {
			var id int64
			var v sql.NullString
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			s := "NULL"
			if v.Valid {
				s = v.String
			}
			got = append(got, fmt.Sprintf("%d=%s", id, s))
		}
		rows.Close()
		want := []string{"1=" + wantFor(c, tz), "2=NULL"}
		if c.sel == "json" && len(got) == 2 && sameJSON(strings.TrimPrefix(got[0], "1="), c.want) {
			// PostgreSQL's JSONB orders object keys its own way.
			got[0] = want[0]
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: MySQL has %q, want %q", name, got, want)
		}
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}
