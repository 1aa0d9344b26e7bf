package convert

import (
	"math"
	"math/big"
	"testing"
)

// TestFitsIntAgreesWithIntRange: toInt's int64 fast path takes exactly the
// values the general path's range check accepts.
func TestFitsIntAgreesWithIntRange(t *testing.T) {
	for _, bits := range []int{8, 16, 24, 32, 64} {
		for _, unsigned := range []bool{false, true} {
			lo, hi := intRange(bits, unsigned)
			var xs []int64
			for _, b := range []*big.Int{lo, hi} {
				for _, d := range []int64{-1, 0, 1} {
					n := new(big.Int).Add(b, big.NewInt(d))
					if n.IsInt64() {
						xs = append(xs, n.Int64())
					}
				}
			}
			xs = append(xs, 0, -1, 1, math.MinInt64, math.MaxInt64)
			for _, x := range xs {
				n := big.NewInt(x)
				want := n.Cmp(lo) >= 0 && n.Cmp(hi) <= 0
				if got := fitsInt(x, bits, unsigned); got != want {
					t.Errorf("fitsInt(%d, %d, unsigned=%v) = %v, want %v", x, bits, unsigned, got, want)
				}
			}
		}
	}
}
