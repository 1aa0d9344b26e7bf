package convert

import (
	"math"
	"strconv"
	"testing"
)

// TestToIntFastPathMatchesExact: the INT64 fast path of toInt accepts and
// renders exactly what the exact (big number) path does, at and around the
// bounds of every integer width.
func TestToIntFastPathMatchesExact(t *testing.T) {
	for _, bits := range []int{16, 32, 64} {
		tg := target{bits: bits, typeName: map[int]string{16: "int2", 32: "int4", 64: "int8"}[bits]}
		lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
		if bits == 64 {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		vals := []int64{0, 1, -1, lo, hi, math.MinInt64, math.MaxInt64, math.MinInt64 + 1, math.MaxInt64 - 1}
		if bits < 64 {
			vals = append(vals, lo-1, hi+1, lo+1, hi-1)
		}
		for _, x := range vals {
			fast, ferr := toInt(x, tg)
			slow, serr := toInt(strconv.FormatInt(x, 10), tg) // a string takes the exact path
			if (ferr == nil) != (serr == nil) || fast != slow {
				t.Errorf("int%d %d: fast path %v, %v; exact path %v, %v", bits, x, fast, ferr, slow, serr)
			}
		}
	}
}
