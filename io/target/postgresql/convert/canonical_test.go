package convert

import (
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

func TestCanonicalDecimal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12.3400", "12.34"}, {"-0.000", "0"}, {"+007", "7"}, {"1e2", "100"}, {"1.5E-3", "0.0015"}, {"-12.5e1", "-125"},
		{".5", "0.5"}, {"5.", "5"}, {"nan", "NaN"}, {"-Infinity", "-Infinity"}, {"1e99999", "1e99999"}, {"0e5", "0"},
	}
	for _, tt := range tests {
		if got, err := canonicalDecimal(tt.in); err != nil || got != tt.want {
			t.Errorf("canonicalDecimal(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "-", "1.2.3", "1e", "x1", "1e2e3"} {
		if got, err := canonicalDecimal(bad); err == nil {
			t.Errorf("canonicalDecimal(%q) = %q, want an error", bad, got)
		}
	}
}

// TestCanonicalForms pins forms whose stored and bound texts differ:
// both must give the same form.
func TestCanonicalForms(t *testing.T) {
	tests := []struct {
		dataType, columnType string
		texts                []string // all of these have the form want
		want                 string
	}{
		{"bool", "boolean", []string{"t", "true", "TRUE"}, "true"},
		{"timestamptz", "timestamp with time zone", []string{"2024-01-02 03:04:05.5Z", "2024-01-02 03:04:05.500000+00", "2024-01-02 08:34:05.5+05:30"}, "2024-01-02 03:04:05.5+00"},
		{"timestamp", "timestamp(0) without time zone", []string{"1999-12-31 23:59:59.9", "2000-01-01 00:00:00.4"}, "2000-01-01 00:00:00"},
		// Halves round away from PostgreSQL's epoch (2000-01-01).
		{"timestamp", "timestamp(0) without time zone", []string{"1999-12-31 23:59:59.5", "1999-12-31 23:59:59"}, "1999-12-31 23:59:59"},
		{"timestamp", "timestamp(0) without time zone", []string{"2000-01-01 00:00:00.5", "2000-01-01 00:00:01"}, "2000-01-01 00:00:01"},
		{"timestamp", "timestamp(0) without time zone", []string{"1999-12-31 23:59:58.5", "1999-12-31 23:59:58"}, "1999-12-31 23:59:58"},
		{"time", "time without time zone", []string{"23:59:59.9999996", "24:00:00"}, "24:00:00"},
		{"bpchar", "character(4)", []string{"ab", "ab  "}, "ab"},
		{"jsonb", "jsonb", []string{`{"b": 1.50, "a": [true, null]}`, `{"a":[true,null],"b":1.5}`, `{"b": 1, "b": 15e-1, "a": [true, null]}`}, `{"a":[true,null],"b":1.5}`},
		{"float4", "real", []string{"1.1", "1.100000023841858", "1.10000002384186"}, "1.1"},
		{"text[]", "text[]", []string{`{"a b",NULL,"x\"y"}`, `{"a b",NULL,x\"y}`}, `["a b",null,"x\"y"]`},
		{"bytea[]", "bytea[]", []string{`{"\\x00FF"}`, `{"\\x00ff"}`}, `["00ff"]`},
		{"uuid", "uuid", []string{"6F1A9D4E-2B7C-4E8A-9F00-0123456789AB"}, "6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"},
	}
	for _, tt := range tests {
		col := schema.SourceColumn{Name: "c", DataType: tt.dataType, ColumnType: tt.columnType}
		for _, s := range tt.texts {
			got, err := CanonicalStored(col, &s)
			if err != nil || got != verify.Text(tt.want) {
				t.Errorf("%s %q: %s, %v; want %q", tt.columnType, s, got, err, tt.want)
			}
		}
	}
}

// TestBindCanonical: a key's canonical form binds back as text the column
// type reads.
func TestBindCanonical(t *testing.T) {
	tests := []struct {
		dataType string
		v        verify.Value
		want     any
	}{
		{"bytea", verify.Text("00ff"), `\x00ff`},
		{"int8", verify.Text("-5"), "-5"},
		{"bytea[]", verify.Text(`["00ff",null]`), `{"\\x00ff",NULL}`},
		{"text[]", verify.Text(`["a\"b","c\\d"]`), `{"a\"b","c\\d"}`},
		{"text", verify.Null, nil},
	}
	for _, tt := range tests {
		got, err := BindCanonical(schema.SourceColumn{Name: "k", DataType: tt.dataType}, tt.v)
		if err != nil || got != tt.want {
			t.Errorf("BindCanonical(%s, %s) = %#v, %v; want %#v", tt.dataType, tt.v, got, err, tt.want)
		}
	}
	// The array literal BindCanonical writes reads back as the same form.
	col := schema.SourceColumn{Name: "k", DataType: "text[]"}
	in := verify.Text(`["a,b","q\"u","back\\slash","NULL","",null,"{x}"]`)
	lit, err := BindCanonical(col, in)
	if err != nil {
		t.Fatal(err)
	}
	s := lit.(string)
	if got, err := CanonicalStored(col, &s); err != nil || got != in {
		t.Errorf("array %s -> %s -> %s, %v", in, s, got, err)
	}
}

// FuzzParseArray: parseArray never panics, and whatever it reads renders
// (BindCanonical's literal) and reads back to the same elements.
func FuzzParseArray(f *testing.F) {
	for _, s := range []string{`{}`, `{a,"b c",NULL}`, `{"\\x00",""}`, `[0:1]={1,2}`, `{"a\"b"}`, `{{1},{2}}`, `{a`} {
		f.Add(s)
	}
	col := schema.SourceColumn{Name: "k", DataType: "text[]"}
	f.Fuzz(func(t *testing.T, s string) {
		form, err := CanonicalStored(col, &s)
		if err != nil {
			return
		}
		lit, err := BindCanonical(col, form)
		if err != nil {
			t.Fatalf("%q: form %s does not bind: %v", s, form, err)
		}
		l := lit.(string)
		again, err := CanonicalStored(col, &l)
		if err != nil || again != form {
			t.Fatalf("%q: form %s -> literal %q -> %s, %v", s, form, l, again, err)
		}
	})
}

// FuzzCanonicalDecimal: the form of a number is a fixed point, and never
// has leading or trailing zeros.
func FuzzCanonicalDecimal(f *testing.F) {
	for _, s := range []string{"0", "-1.50", "1e3", ".5e-2", "NaN", "00.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := canonicalDecimal(s)
		if err != nil {
			return
		}
		again, err := canonicalDecimal(d)
		if err != nil || again != d {
			t.Fatalf("%q -> %q -> %q, %v", s, d, again, err)
		}
		if strings.Contains(d, ".") && strings.HasSuffix(d, "0") || strings.HasPrefix(strings.TrimPrefix(d, "-"), "00") {
			t.Fatalf("%q -> %q has extra zeros", s, d)
		}
	})
}
