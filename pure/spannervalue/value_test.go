package spannervalue

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		typ, raw string
		want     any
		wantErr  bool
	}{
		{"INT64", `"-9223372036854775808"`, int64(-9223372036854775808), false},
		{"INT64", `"1.5"`, nil, true},
		{"FLOAT32", `1.5`, Float{V: 1.5, Bits: 32}, false},
		{"FLOAT64", `"-Infinity"`, nil, false}, // checked below
		{"NUMERIC", `"123.450"`, Numeric("123.450"), false},
		{"NUMERIC", `".5"`, Numeric(".5"), false},
		{"NUMERIC", `"5."`, Numeric("5."), false},
		{"NUMERIC", `"-1e-3"`, Numeric("-1e-3"), false},
		{"NUMERIC", `"nan"`, Numeric("NaN"), false},
		{"NUMERIC", `"1.2.3"`, nil, true},
		{"NUMERIC", `"."`, nil, true},
		{"NUMERIC", `"0x10"`, nil, true},
		{"DATE", `"2024-02-30"`, nil, true},
		{"TIMESTAMP", `"2024-01-02T03:04:05.5+01:00"`, time.Date(2024, 1, 2, 2, 4, 5, 5e8, time.UTC), false},
		{"JSON", `"{\"a\":1}"`, JSON(`{"a":1}`), false},
		{"JSON", `"{"`, nil, true},
		{"UUID", `"6F1A9D4E-2B7C-4E8A-9F00-0123456789AB"`, UUID("6f1a9d4e-2b7c-4e8a-9f00-0123456789ab"), false},
		{"BYTES", `"AAE="`, []byte{0, 1}, false},
		{"ARRAY<INT64>", `["1", null]`, []any{int64(1), nil}, false},
		{"ARRAY<INT64>", `["x"]`, nil, true},
		{"STRING", `null`, nil, false},
	}
	for _, tt := range tests {
		typ, err := spannertype.Parse(tt.typ)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(typ, json.RawMessage(tt.raw))
		if (err != nil) != tt.wantErr {
			t.Errorf("Decode(%s, %s) error %v", tt.typ, tt.raw, err)
			continue
		}
		if tt.typ == "FLOAT64" {
			if f, ok := got.(Float); !ok || !IsNonFinite(f.V) || f.V > 0 {
				t.Errorf("Decode(%s, %s) = %#v", tt.typ, tt.raw, got)
			}
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s, %s) = %#v, want %#v", tt.typ, tt.raw, got, tt.want)
		}
	}
}

// FuzzDecode feeds arbitrary JSON for each type: no panic, and an ARRAY
// decodes to a slice whenever it decodes.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`"1"`, `1.5`, `"NaN"`, `["1",null]`, `"AAE="`, `"2024-01-01"`, `{}`, `"`} {
		f.Add(s)
	}
	types := []string{"INT64", "FLOAT64", "NUMERIC", "STRING", "BYTES", "DATE", "TIMESTAMP", "JSON", "UUID", "BOOL", "ARRAY<NUMERIC>"}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, ts := range types {
			typ, _ := spannertype.Parse(ts)
			v, err := Decode(typ, json.RawMessage(raw))
			if err == nil && v != nil && ts == "ARRAY<NUMERIC>" {
				if _, ok := v.([]any); !ok {
					t.Fatalf("ARRAY decoded to %T", v)
				}
			}
		}
	})
}

// TestPlainString: the fast path returns what json.Unmarshal would, and
// leaves to it every string it would change (escapes, invalid UTF-8) or
// refuse (control characters, a quote inside).
func TestPlainString(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"abc"`, "abc", true},
		{`""`, "", true},
		{`"é ✓ 𝄞"`, "é ✓ 𝄞", true},
		{`"a\"b"`, "", false},
		{`"a\u0041"`, "", false},
		{"\"a\tb\"", "", false},
		{"\"\xff\"", "", false},
		{`"a"b"`, "", false},
		{`"abc`, "", false},
		{`"`, "", false},
	} {
		got, ok := PlainString([]byte(tc.raw))
		if got != tc.want || ok != tc.ok {
			t.Errorf("PlainString(%q) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzPlainString: whenever the fast path answers, json.Unmarshal agrees.
func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, "\"\xff\"", `"a"b"`, `"\u00e9"`,
		// review rev16: unicode, surrogates, DEL, separators, JSON in text,
		// numbers as text, whitespace around, a lone quote.
		`"é𝄞"`, "\"\xed\xa0\x80\"", "\"\x7f\u2028\"", `"{\"a\":[1]}"`, `"-0"`, `"1e400"`, ` "a" `, `"a" `, `"`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := PlainString(raw)
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil || got != want {
			t.Errorf("PlainString(%q) = %q; json.Unmarshal gives %q (%v)", raw, got, want, err)
		}
	})
}
