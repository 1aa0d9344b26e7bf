package shadow

import (
	"bytes"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// TestSourceKeyIdentity: keys Spanner takes for the same key get the same
// identity, and keys it tells apart get different ones.
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
		if !bytes.Equal(idOf(t, tt.a), idOf(t, tt.b)) {
			t.Errorf("%s: %v and %v get different identities", tt.name, tt.a, tt.b)
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
		{"long keys differing at the end", spanner.Key{strings.Repeat("x", 500) + "a"}, spanner.Key{strings.Repeat("x", 500) + "b"}},
		{"a short key and a long one", spanner.Key{"a"}, spanner.Key{strings.Repeat("a", 500)}},
		{"long keys differing at the start", spanner.Key{"a" + strings.Repeat("x", 500)}, spanner.Key{"b" + strings.Repeat("x", 500)}},
	}
	for _, tt := range differ {
		if bytes.Equal(idOf(t, tt.a), idOf(t, tt.b)) {
			t.Errorf("%s: %v and %v get one identity", tt.name, tt.a, tt.b)
		}
	}
	k, err := SourceKey(spanner.Key{int64(7), "a\x00b", spanner.NullString{}, []byte{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte("\x01\x017\x01\x03a\x00b\x00\x01\x04AQI="); !bytes.Equal(k.ID, want) || k.Parts[0] != "7" || k.Parts[1] != "a\uFFFDb" || k.Parts[2] != nil || k.Parts[3] != "AQI=" {
		t.Errorf("SourceKey = %x %q", k.ID, k.Parts)
	}
	if _, err := SourceKey(spanner.Key{struct{}{}}); err == nil {
		t.Error("an unknown key part type must be refused")
	}
}

func mustRat(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

// TestSourceKeyForms: a key whose encoding fits target.ShadowKeyMaxLen is
// its own identity; a longer one gets the long form, never longer than
// the column holds; a key with no column has the empty identity.
func TestSourceKeyForms(t *testing.T) {
	for _, c := range []struct {
		name    string
		key     spanner.Key
		long    bool
		wantLen int
	}{
		{"no key column", spanner.Key{}, false, 0},
		{"NULL", spanner.Key{nil}, false, 1},
		{"integer", spanner.Key{int64(2051)}, false, 6},
		{"longest inline", spanner.Key{strings.Repeat("s", target.ShadowKeyMaxLen-2)}, false, target.ShadowKeyMaxLen},
		{"one byte more", spanner.Key{strings.Repeat("s", target.ShadowKeyMaxLen-1)}, true, 1 + longKeyPrefix + 32},
		{"8 KiB", spanner.Key{strings.Repeat("s", 8192), int64(1)}, true, 1 + longKeyPrefix + 32},
	} {
		id := idOf(t, c.key)
		if len(id) != c.wantLen || len(id) > target.ShadowKeyMaxLen || (len(id) > 0 && id[0] == longKeyMark) != c.long || id == nil {
			t.Errorf("%s: identity %x (%d bytes), want %d bytes, long form %t", c.name, id, len(id), c.wantLen, c.long)
		}
	}
}

// TestSourceKeysFollowOneAnother: the identities of consecutive integer
// keys of one length are in the keys' order (a batch's shadow rows are
// neighbours in the index), as are those of timestamps.
func TestSourceKeysFollowOneAnother(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := int64(1000); i < 9999; i++ {
		if a, b := idOf(t, spanner.Key{i}), idOf(t, spanner.Key{i + 1}); bytes.Compare(a, b) >= 0 {
			t.Fatalf("identities of %d and %d: %x, %x", i, i+1, a, b)
		}
		a, b := idOf(t, spanner.Key{"t", ts.Add(time.Duration(i))}), idOf(t, spanner.Key{"t", ts.Add(time.Duration(i + 1))})
		if bytes.Compare(a, b) >= 0 {
			t.Fatalf("identities of timestamps %d ns apart: %x, %x", i, a, b)
		}
	}
}

func idOf(t *testing.T, k spanner.Key) []byte {
	t.Helper()
	sk, err := SourceKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return sk.ID
}

// FuzzSourceKey: two string keys share an identity only when they are
// equal, whether short or long (a repeat count makes long ones).
func FuzzSourceKey(f *testing.F) {
	f.Add("a", "b", "ab", "", uint8(0), uint8(0))
	f.Add("a", "b", "a", "b", uint8(130), uint8(129))
	f.Add("\x02", "", "\x02", " ", uint8(0), uint8(200))
	f.Fuzz(func(t *testing.T, a1, a2, b1, b2 string, ra, rb uint8) {
		a1, b1 = strings.Repeat(a1, int(ra)), strings.Repeat(b1, int(rb))
		x, y := idOf(t, spanner.Key{a1, a2}), idOf(t, spanner.Key{b1, b2})
		if bytes.Equal(x, y) != (a1 == b1 && a2 == b2) {
			t.Errorf("(%q,%q) and (%q,%q): one identity %v", a1, a2, b1, b2, bytes.Equal(x, y))
		}
		if len(x) > target.ShadowKeyMaxLen {
			t.Errorf("(%q,%q): identity of %d bytes", a1, a2, len(x))
		}
	})
}
