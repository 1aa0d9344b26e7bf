package convert

import (
	"encoding/json"
	"testing"
)

func TestParseType(t *testing.T) {
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
		got, err := ParseType(c.ddl)
		if c.want == "" {
			if err == nil {
				t.Errorf("ParseType(%q) = %v, want error", c.ddl, got)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("ParseType(%q) = %v, %v; want %s", c.ddl, got, err, c.want)
		}
	}
}

func TestParseTypeJSON(t *testing.T) {
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
		got, err := ParseTypeJSON(json.RawMessage(c.raw))
		if c.want == "" {
			if err == nil {
				t.Errorf("ParseTypeJSON(%s) = %v, want error", c.raw, got)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("ParseTypeJSON(%s) = %v, %v; want %s", c.raw, got, err, c.want)
		}
	}
}
