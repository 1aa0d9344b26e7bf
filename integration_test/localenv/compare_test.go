package localenv

import (
	"database/sql"
	"testing"

	"cloud.google.com/go/spanner"
	sppb "cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The two sides of a replicated value must reach one canonical text, and
// different values must not.
func TestCanonicalForms(t *testing.T) {
	str := func(code sppb.TypeCode, s string) spanner.GenericColumnValue {
		return spanner.GenericColumnValue{Type: &sppb.Type{Code: code}, Value: structpb.NewStringValue(s)}
	}
	tests := []struct {
		name  string
		sp    spanner.GenericColumnValue
		typ   string
		mysql sql.RawBytes
		same  bool
	}{
		{"int", str(sppb.TypeCode_INT64, "42"), "INT64", sql.RawBytes("42"), true},
		{"int differs", str(sppb.TypeCode_INT64, "42"), "INT64", sql.RawBytes("43"), false},
		{"bool true", spanner.GenericColumnValue{Type: &sppb.Type{Code: sppb.TypeCode_BOOL}, Value: structpb.NewBoolValue(true)}, "BOOL", sql.RawBytes("1"), true},
		{"bool false", spanner.GenericColumnValue{Type: &sppb.Type{Code: sppb.TypeCode_BOOL}, Value: structpb.NewBoolValue(false)}, "BOOL", sql.RawBytes("1"), false},
		{"float", spanner.GenericColumnValue{Type: &sppb.Type{Code: sppb.TypeCode_FLOAT64}, Value: structpb.NewNumberValue(12.34)}, "FLOAT64", sql.RawBytes("12.34"), true},
		{"numeric scale", str(sppb.TypeCode_NUMERIC, "12.5"), "NUMERIC", sql.RawBytes("12.50"), true},
		{"numeric differs", str(sppb.TypeCode_NUMERIC, "12.5"), "NUMERIC", sql.RawBytes("12.51"), false},
		{"timestamp", str(sppb.TypeCode_TIMESTAMP, "2024-02-02T20:00:01.5Z"), "TIMESTAMP", sql.RawBytes("2024-02-02 20:00:01.500000"), true},
		{"timestamp lost fraction", str(sppb.TypeCode_TIMESTAMP, "2024-02-02T20:00:01.5Z"), "TIMESTAMP", sql.RawBytes("2024-02-02 20:00:01"), false},
		{"date", str(sppb.TypeCode_DATE, "2024-02-02"), "DATE", sql.RawBytes("2024-02-02"), true},
		{"string", str(sppb.TypeCode_STRING, "a b"), "STRING(10)", sql.RawBytes("a b"), true},
		{"null vs empty", spanner.GenericColumnValue{Type: &sppb.Type{Code: sppb.TypeCode_STRING}, Value: structpb.NewNullValue()}, "STRING(10)", sql.RawBytes(""), false},
		{"null", spanner.GenericColumnValue{Type: &sppb.Type{Code: sppb.TypeCode_STRING}, Value: structpb.NewNullValue()}, "STRING(10)", nil, true},
		{"bytes", str(sppb.TypeCode_BYTES, "AAE="), "BYTES(10)", sql.RawBytes{0, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := canonicalSpanner(tt.sp, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			b, err := canonicalMySQL(tt.mysql, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			if (a == b) != tt.same {
				t.Errorf("Spanner %q, MySQL %q: same=%v, want %v", a, b, a == b, tt.same)
			}
		})
	}
}
