package shadow

import "testing"

func TestKeyColumnTypeAcrossDialects(t *testing.T) {
	tests := []struct {
		typ      string
		postgres bool // the metadata database's dialect
		want     string
	}{
		{"INT64", false, "INT64"},
		{"STRING(10)", false, "STRING(10)"},
		{"int64", false, "int64"},
		{"bigint", false, "INT64"},
		{"character varying(10)", false, "STRING(MAX)"},
		{"timestamp with time zone", false, "TIMESTAMP"},
		{"bytea", false, "BYTES(MAX)"},
		{"boolean", false, "BOOL"},
		{"double precision", false, "FLOAT64"},
		{"numeric", false, "numeric"},
		{"date", false, "date"},
		{"bigint", true, "bigint"},
		{"character varying(10)", true, "character varying(10)"},
		{"INT64", true, "bigint"},
		{"STRING(MAX)", true, "character varying"},
		{"TIMESTAMP", true, "timestamp with time zone"},
		{"BYTES(16)", true, "bytea"},
		{"FLOAT32", true, "real"},
		{"NUMERIC", true, "NUMERIC"},
	}
	for _, tt := range tests {
		got, err := keyColumnType(tt.typ, tt.postgres)
		if err != nil || got != tt.want {
			t.Errorf("keyColumnType(%q, postgres=%v) = %q, %v; want %q", tt.typ, tt.postgres, got, err, tt.want)
		}
	}
	if _, err := keyColumnType("ARRAY<INT64>", true); err == nil {
		t.Error("an ARRAY cannot be a key column")
	}
}
