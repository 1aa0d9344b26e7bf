package shadow

import (
	"math"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
)

// TestKeyTextIsKeyString: KeyText prints every key as Key.String does,
// for the parts it formats itself and for those it leaves to Key.String.
func TestKeyTextIsKeyString(t *testing.T) {
	for _, k := range []spanner.Key{
		{},
		{int64(0)}, {int64(-1)}, {int64(math.MinInt64)}, {int64(math.MaxInt64)},
		{""}, {"a"}, {`quote " and \ backslash`}, {"tab\tnew\nline"}, {"é ü 日本"}, {"\xff\xfe invalid"}, {"\x00nul"}, {"\u2028"},
		{int64(7), "x", int64(-3)},
		{int64(7), []byte("b")}, {time.Unix(1, 5).UTC()}, {true}, {float64(1.5)}, {spanner.NullInt64{Int64: 3, Valid: true}},
		{spanner.NullString{}}, {nil}, {int64(1), nil},
	} {
		if got, want := KeyText(k), k.String(); got != want {
			t.Errorf("KeyText(%#v) = %q, want Key.String's %q", k, got, want)
		}
	}
}

// FuzzKeyText: KeyText is Key.String for any key of INT64 and STRING parts.
func FuzzKeyText(f *testing.F) {
	f.Add(int64(1), "a", true)
	f.Add(int64(-9), "\"\\\x00\xff", false)
	f.Fuzz(func(t *testing.T, i int64, s string, two bool) {
		k := spanner.Key{i, s}
		if two {
			k = append(k, s, i)
		}
		if got, want := KeyText(k), k.String(); got != want {
			t.Fatalf("KeyText(%#v) = %q, want %q", k, got, want)
		}
	})
}
