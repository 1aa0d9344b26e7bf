package shadow

import (
	"bytes"
	"math"
	"math/big"
	"testing"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"
)

// TestSourceKeyIdentity: keys Spanner takes for the same key hash the
// same, and keys it tells apart hash differently.
func TestSourceKeyIdentity(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	same := []struct {
		name string
		a, b spanner.Key
	}{
		{"NUMERIC scale", spanner.Key{*big.NewRat(3, 2)}, spanner.Key{*mustRat("1.50")}},
		{"PG numeric scale", spanner.Key{spanner.PGNumeric{Numeric: "1.50", Valid: true}}, spanner.Key{spanner.PGNumeric{Numeric: "1.5", Valid: true}}},
		{"negative zero", spanner.Key{math.Copysign(0, -1)}, spanner.Key{0.0}},
		{"time zone", spanner.Key{ts}, spanner.Key{ts.In(time.FixedZone("x", 3600))}},
		{"typed NULLs", spanner.Key{spanner.NullInt64{}}, spanner.Key{spanner.NullInt64{}}},
		{"Null wrapper of a value", spanner.Key{spanner.NullString{StringVal: "a", Valid: true}}, spanner.Key{"a"}},
	}
	for _, tt := range same {
		if !bytes.Equal(hashOf(t, tt.a), hashOf(t, tt.b)) {
			t.Errorf("%s: %v and %v hash differently", tt.name, tt.a, tt.b)
		}
	}
	differ := []struct {
		name string
		a, b spanner.Key
	}{
		{"NULL and empty string", spanner.Key{spanner.NullString{}}, spanner.Key{""}},
		{"part boundaries", spanner.Key{"ab", "c"}, spanner.Key{"a", "bc"}},
		{"nanoseconds", spanner.Key{ts}, spanner.Key{ts.Add(time.Nanosecond)}},
		{"string case", spanner.Key{"A"}, spanner.Key{"a"}},
		{"trailing space", spanner.Key{"a "}, spanner.Key{"a"}},
		{"bytes", spanner.Key{[]byte{0}}, spanner.Key{[]byte{0, 0}}},
		{"dates", spanner.Key{civil.Date{Year: 1, Month: 1, Day: 1}}, spanner.Key{civil.Date{Year: 1, Month: 1, Day: 2}}},
		{"float digits", spanner.Key{0.1}, spanner.Key{0.1 + 1e-17*2}},
	}
	for _, tt := range differ {
		if bytes.Equal(hashOf(t, tt.a), hashOf(t, tt.b)) {
			t.Errorf("%s: %v and %v hash the same", tt.name, tt.a, tt.b)
		}
	}
	k, err := SourceKey(spanner.Key{int64(7), "a\x00b", spanner.NullString{}, []byte{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Hash) != 32 || k.Parts[0] != "7" || k.Parts[1] != "a\uFFFDb" || k.Parts[2] != nil || k.Parts[3] != "AQI=" {
		t.Errorf("SourceKey = %x %q", k.Hash, k.Parts)
	}
	if _, err := SourceKey(spanner.Key{struct{}{}}); err == nil {
		t.Error("an unknown key part type must be refused")
	}
}

func mustRat(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

func hashOf(t *testing.T, k spanner.Key) []byte {
	t.Helper()
	sk, err := SourceKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return sk.Hash
}

// FuzzSourceKey: two string keys hash alike only when they are equal.
func FuzzSourceKey(f *testing.F) {
	f.Add("a", "b", "ab", "")
	f.Fuzz(func(t *testing.T, a1, a2, b1, b2 string) {
		x, y := hashOf(t, spanner.Key{a1, a2}), hashOf(t, spanner.Key{b1, b2})
		if bytes.Equal(x, y) != (a1 == b1 && a2 == b2) {
			t.Errorf("(%q,%q) and (%q,%q): equal hashes %v", a1, a2, b1, b2, bytes.Equal(x, y))
		}
	})
}
