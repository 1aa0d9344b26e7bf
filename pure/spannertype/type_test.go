package spannertype

import (
	"encoding/json"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		ddl  string
		want string // Type.String(), "" for an error
	}{
		{"INT64", "INT64"},
		{"STRING(MAX)", "STRING"},
		{"string(10)", "STRING"},
		{"BYTES(16)", "BYTES"},
		{"ARRAY<INT64>", "ARRAY<INT64>"},
		{"ARRAY<STRING(MAX)>", "ARRAY<STRING>"},
		{"NUMERIC", "NUMERIC"},
		{"JSON", "JSON"},
		{"TIMESTAMP", "TIMESTAMP"},
		{"DATE", "DATE"},
		{"BOOL", "BOOL"},
		{"FLOAT32", "FLOAT32"},
		{"FLOAT64", "FLOAT64"},
		{"UUID", "UUID"},
		{"bigint", "INT64"},
		{"character varying(10)", "STRING"},
		{"character varying", "STRING"},
		{"text", "STRING"},
		{"boolean", "BOOL"},
		{"double precision", "FLOAT64"},
		{"real", "FLOAT32"},
		{"numeric", "NUMERIC"},
		{"numeric(10, 2)", "NUMERIC"},
		{"jsonb", "JSON"},
		{"bytea", "BYTES"},
		{"timestamp with time zone", "TIMESTAMP"},
		{"spanner.commit_timestamp", "TIMESTAMP"},
		{"date", "DATE"},
		{"uuid", "UUID"},
		{"bigint[]", "ARRAY<INT64>"},
		{"character varying(10)[]", "ARRAY<STRING>"},
		{"ARRAY<ARRAY<INT64>>", ""},
		{"bigint[][]", ""},
		{"STRUCT<a INT64>", ""},
		{"PROTO<x.Y>", ""},
		{"", ""},
		{"ARRAY<>", ""},
	}
	for _, c := range cases {
		got, err := Parse(c.ddl)
		if c.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want error", c.ddl, got)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", c.ddl, got, err, c.want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	cases := []struct{ raw, want string }{
		{`{"code":"INT64"}`, "INT64"},
		{`{"code":"NUMERIC","type_annotation":"PG_NUMERIC"}`, "NUMERIC"},
		{`{"array_element_type":{"code":"INT64"},"code":"ARRAY"}`, "ARRAY<INT64>"},
		{`{"arrayElementType":{"code":"STRING"},"code":"ARRAY"}`, "ARRAY<STRING>"},
		{`{"code":"ARRAY"}`, ""},
		{`{"code":"STRUCT"}`, ""},
		{`{"code":"TEXT"}`, ""},
		{`not json`, ""},
	}
	for _, c := range cases {
		got, err := ParseJSON(json.RawMessage(c.raw))
		if c.want == "" {
			if err == nil {
				t.Errorf("ParseJSON(%s) = %v, want error", c.raw, got)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("ParseJSON(%s) = %v, %v; want %s", c.raw, got, err, c.want)
		}
	}
}

func TestBaseName(t *testing.T) {
	for ddl, want := range map[string]string{
		"STRING(MAX)": "string", " CHARACTER  VARYING(10) ": "character varying",
		"numeric(10, 2)": "numeric", "timestamp with time zone": "timestamp with time zone", "INT64": "int64",
	} {
		if got := BaseName(ddl); got != want {
			t.Errorf("BaseName(%q) = %q, want %q", ddl, got, want)
		}
	}
}
