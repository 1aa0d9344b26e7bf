package convert

import (
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// TestCanonicalForms: a bound value and the text MySQL or MariaDB give back
// for it have the same canonical form; the last cases show values that
// must stay different.
func TestCanonicalForms(t *testing.T) {
	tests := []struct {
		name    string
		colType string
		maxLen  int64
		bound   any
		stored  string
		same    bool
	}{
		{"int", "int", 0, int64(-5), "-5", true},
		{"unsigned bigint", "bigint unsigned", 0, uint64(18446744073709551615), "18446744073709551615", true},
		{"decimal padding", "decimal(10,3)", 0, "12.3", "12.300", true},
		{"decimal negative zero", "decimal(10,2)", 0, "-0.00", "0.00", true},
		{"float read as double", "float", 0, float64(float32(3.14159265)), "3.1415927410125732", true},
		{"double 15 digits", "double", 0, 0.1, "0.1", true},
		{"float(M,D)", "float(7,2)", 0, float64(float32(1.234)), "1.2300000190734863", true},
		{"bit", "bit(12)", 0, []byte{0x01, 0x02}, "\x01\x02", true},
		{"year", "year(4)", 0, int64(2024), "2024", true},
		{"char trailing spaces", "char(5)", 5, "ab  ", "ab", true},
		{"varchar keeps spaces", "varchar(5)", 5, "ab  ", "ab", false},
		{"set order and duplicates", "set('a','b','c')", 0, "c,a,c", "a,c", true},
		{"json keys and spacing", "json", 0, `{"b": 1, "a": [1.0, "x"]}`, `{"a": [1.0, "x"], "b": 1}`, true},
		{"json numbers", "json", 0, `{"n": 1e2}`, `{"n": 100.0}`, true},
		{"binary padding", "binary(4)", 4, []byte{0xab}, "\xab\x00\x00\x00", true},
		{"varbinary no padding", "varbinary(4)", 4, []byte{0xab}, "\xab\x00", false},
		{"datetime fraction", "datetime(6)", 0, "2024-01-02 03:04:05.12", "2024-01-02 03:04:05.120000", true},
		{"datetime whole seconds", "datetime(3)", 0, "2024-01-02 03:04:05", "2024-01-02 03:04:05.000", true},
		{"time hours", "time", 0, "1:02:03", "01:02:03", true},
		{"negative time", "time(2)", 0, "-1:02:03.5", "-01:02:03.50", true},
		{"uuid case", "uuid", 0, "ABCDEF00-0000-0000-0000-000000000000", "abcdef00-0000-0000-0000-000000000000", true},
		{"different ints", "int", 0, int64(1), "2", false},
		{"different text", "varchar(5)", 5, "a", "A", false},
		{"different datetimes", "datetime", 0, "2024-01-02 03:04:05", "2024-01-02 03:04:06", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := col(tt.colType, tt.maxLen)
			b, err := CanonicalBound(c, tt.bound)
			if err != nil {
				t.Fatal(err)
			}
			s, err := CanonicalStored(c, []byte(tt.stored))
			if err != nil {
				t.Fatal(err)
			}
			if (b == s) != tt.same {
				t.Errorf("bound %#v -> %v, stored %q -> %v; same = %v, want %v", tt.bound, b, tt.stored, s, b == s, tt.same)
			}
		})
	}
}

func TestCanonicalNull(t *testing.T) {
	c := col("varchar(5)", 5)
	if v, _ := CanonicalBound(c, nil); v != verify.Null {
		t.Errorf("bound nil = %v", v)
	}
	if v, _ := CanonicalStored(c, nil); v != verify.Null {
		t.Errorf("stored nil = %v", v)
	}
	if v, _ := CanonicalStored(c, []byte{}); v != verify.Text("") {
		t.Errorf("stored empty = %v, want empty text", v)
	}
}

// TestBindCanonicalInverts: a key's canonical form binds back as a value
// of the column's type.
func TestBindCanonicalInverts(t *testing.T) {
	tests := []struct {
		colType string
		bound   any
	}{
		{"bigint", int64(-7)},
		{"bigint unsigned", uint64(18446744073709551615)},
		{"varbinary(8)", []byte{1, 2, 3}},
		{"bit(16)", []byte{0, 5}},
		{"varchar(8)", "k"},
	}
	for _, tt := range tests {
		c := col(tt.colType, 8)
		v, err := CanonicalBound(c, tt.bound)
		if err != nil {
			t.Fatal(err)
		}
		back, err := BindCanonical(c, v)
		if err != nil {
			t.Fatalf("%s: %v", tt.colType, err)
		}
		again, err := CanonicalBound(c, back)
		if err != nil || again != v {
			t.Errorf("%s: %#v -> %v -> %#v -> %v, %v", tt.colType, tt.bound, v, back, again, err)
		}
	}
	if p := KeyPlaceholder(col("decimal(12,4)")); p != "CAST(? AS DECIMAL(12,4))" {
		t.Errorf("decimal placeholder = %s", p)
	}
}
