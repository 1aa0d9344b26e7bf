package convert

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

func toBool(v any, t target) (any, error) {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "t", "1":
			return "true", nil
		case "false", "f", "0":
			return "false", nil
		}
		return nil, fmt.Errorf("%q is not a boolean", x)
	case int64:
		if x == 0 || x == 1 {
			return strconv.FormatBool(x == 1), nil
		}
		return nil, fmt.Errorf("%d is not 0 or 1", x)
	}
	return nil, notFor(v, t)
}

// exact reads a number as an exact rational: INT64, NUMERIC, a finite
// FLOAT's exact binary value, or number text.
func exact(v any) (*big.Rat, error) {
	switch x := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(x), nil
	case spannervalue.Float:
		if spannervalue.IsNonFinite(x.V) {
			return nil, fmt.Errorf("%s has no exact value", x.Text())
		}
		return new(big.Rat).SetFloat64(x.V), nil
	case spannervalue.Numeric:
		return parseRat(string(x))
	case string:
		return parseRat(strings.TrimSpace(x))
	case bool:
		if x {
			return big.NewRat(1, 1), nil
		}
		return new(big.Rat), nil
	}
	return nil, errNotNumber
}

var errNotNumber = errors.New("not a number")

// maxExponent keeps "1e999999999" from allocating a huge number.
const maxExponent = 1000

func parseRat(s string) (*big.Rat, error) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if e, err := strconv.Atoi(s[i+1:]); err != nil || e > maxExponent || e < -maxExponent {
			return nil, fmt.Errorf("%q: exponent out of range", s)
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return r, nil
}

func toInt(v any, t target) (any, error) {
	if x, ok := v.(int64); ok && t.bits >= 2 && t.bits <= 64 && x >= -1<<(t.bits-1) && x <= 1<<(t.bits-1)-1 {
		return strconv.FormatInt(x, 10), nil // the common case, without big numbers
	}
	r, err := exact(v)
	if err != nil {
		if errors.Is(err, errNotNumber) {
			return nil, notFor(v, t)
		}
		return nil, err
	}
	if !r.IsInt() {
		return nil, fmt.Errorf("%s is not an integer", r.FloatString(9))
	}
	n := r.Num()
	lo := new(big.Int).Lsh(big.NewInt(-1), uint(t.bits-1))
	hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(t.bits-1)), big.NewInt(1))
	if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
		return nil, fmt.Errorf("%s is out of range for %s (%s to %s)", n, t.typeName, lo, hi)
	}
	return n.String(), nil
}

// toNumeric binds numeric text. numeric(p,s) rounds to s digits (half away
// from zero, as PostgreSQL does on input); a value that still needs more
// than p-s integer digits is out of range. Unconstrained numeric takes
// NaN and ±Infinity.
func toNumeric(v any, t target) (any, error) {
	switch x := v.(type) {
	case spannervalue.Numeric:
		if strings.EqualFold(string(x), "NaN") {
			return "NaN", nil
		}
	case spannervalue.Float:
		switch {
		case math.IsNaN(x.V):
			return "NaN", nil
		case math.IsInf(x.V, 0) && t.prec != 0:
			return nil, fmt.Errorf("%s does not fit %s, which only unconstrained numeric holds", x.Text(), t.col.ColumnType)
		case math.IsInf(x.V, 1):
			return "Infinity", nil
		case math.IsInf(x.V, -1):
			return "-Infinity", nil
		}
	case string:
		switch s := strings.TrimSpace(x); strings.ToLower(s) {
		case "nan":
			return "NaN", nil
		case "infinity", "+infinity", "-infinity":
			if t.prec != 0 {
				return nil, fmt.Errorf("%s does not fit %s, which only unconstrained numeric holds", s, t.col.ColumnType)
			}
			return s, nil
		}
	}
	r, err := exact(v)
	if err != nil {
		if errors.Is(err, errNotNumber) {
			return nil, notFor(v, t)
		}
		return nil, err
	}
	if t.prec == 0 {
		// Unconstrained: the exact value. A FLOAT's shortest text is the
		// value Spanner shows, not its binary expansion.
		if f, ok := v.(spannervalue.Float); ok {
			return strconv.FormatFloat(f.V, 'f', -1, f.Bits), nil
		}
		return ratText(r), nil
	}
	rounded := roundHalfAway(r, t.scale)
	limit := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.prec-t.scale)), nil))
	if new(big.Rat).Abs(rounded).Cmp(limit) >= 0 {
		return nil, fmt.Errorf("%s is out of range for %s (at most %d digits before the point)", ratText(r), t.col.ColumnType, t.prec-t.scale)
	}
	return rounded.FloatString(t.scale), nil
}

// roundHalfAway rounds r to scale decimals, halves away from zero.
func roundHalfAway(r *big.Rat, scale int) *big.Rat {
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	x := new(big.Rat).Mul(r, p)
	neg := x.Sign() < 0
	x.Abs(x)
	x.Add(x, big.NewRat(1, 2))
	q := new(big.Int).Quo(x.Num(), x.Denom())
	if neg {
		q.Neg(q)
	}
	return new(big.Rat).Quo(new(big.Rat).SetInt(q), p)
}

// ratText is r's exact decimal text (r comes from decimal text or a
// float's binary value, so its denominator is a product of 2s and 5s).
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	d := new(big.Int).Set(r.Denom())
	digits := 0
	for ten := big.NewInt(10); d.Cmp(big.NewInt(1)) != 0 && digits < 2000; digits++ {
		g := new(big.Int).GCD(nil, nil, d, ten)
		d.Quo(d, g)
	}
	return strings.TrimRight(strings.TrimRight(r.FloatString(digits), "0"), ".")
}

func toFloat(v any, t target, bits int) (any, error) {
	var f float64
	switch x := v.(type) {
	case spannervalue.Float:
		f = x.V
	case int64:
		f = float64(x)
		if bits == 64 && int64(f) != x || bits == 32 && int64(float32(x)) != x {
			return nil, fmt.Errorf("%d has no exact %s form", x, t.typeName)
		}
	case spannervalue.Numeric, string:
		s := fmt.Sprint(x)
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
	default:
		return nil, notFor(v, t)
	}
	if bits == 32 && !spannervalue.IsNonFinite(f) && math.IsInf(float64(float32(f)), 0) {
		return nil, fmt.Errorf("%g is out of range for real", f)
	}
	return spannervalue.Float{V: f, Bits: bits}.Text(), nil
}
