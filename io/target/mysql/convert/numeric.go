package convert

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

var integerText = regexp.MustCompile(`^[+-]?[0-9]+$`)

// maxIntegerDigits bounds the text handed to big.Int, whose decimal parsing
// is superlinear; the widest MySQL integer (BIGINT UNSIGNED, BIT(64)) has 20
// digits, so anything longer is out of range whatever its value.
const maxIntegerDigits = 40

// exactInteger returns v as an exact integer, or an error when v is not one:
// MySQL would round 1.5 into an INT column, which silently changes the value.
func exactInteger(v any, t target) (*big.Int, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewInt(1), nil
		}
		return big.NewInt(0), nil
	case int64:
		return big.NewInt(x), nil
	case floatVal:
		if isNonFinite(x.V) || x.V != math.Trunc(x.V) {
			return nil, fmt.Errorf("%s is not an integer", x.Text())
		}
		n, _ := new(big.Float).SetFloat64(x.V).Int(nil)
		return n, nil
	case numeric:
		return integralDecimal(string(x))
	case string:
		if t.boolLike {
			switch strings.ToLower(x) {
			case "true":
				return big.NewInt(1), nil
			case "false":
				return big.NewInt(0), nil
			}
		}
		if !integerText.MatchString(x) {
			return nil, errors.New("text is not an integer")
		}
		if n := len(strings.TrimLeft(x, "+-0")); n > maxIntegerDigits {
			return nil, fmt.Errorf("a %d-digit integer is out of range", n)
		}
		n, _ := new(big.Int).SetString(strings.TrimPrefix(x, "+"), 10)
		return n, nil
	}
	return nil, notFor(v, t)
}

func integralDecimal(s string) (*big.Int, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return nil, err
	}
	if !d.isIntegral() {
		return nil, fmt.Errorf("%s is not an integer", spannertype.Shorten(s))
	}
	if d.intDigits() > maxIntegerDigits {
		return nil, fmt.Errorf("a %d-digit integer is out of range", d.intDigits())
	}
	return d.bigInt(), nil
}

// toInt range-checks against the column width, since in non-strict mode
// MySQL would clamp the value instead of failing.
func toInt(v any, t target) (any, error) {
	// What the general path returns, without its big.Ints.
	switch x := v.(type) {
	case int64:
		if fitsInt(x, t.bits, t.unsigned) {
			return x, nil
		}
	case bool:
		if n := boolInt(x); fitsInt(n, t.bits, t.unsigned) {
			return n, nil
		}
	}
	n, err := exactInteger(v, t)
	if err != nil {
		return nil, err
	}
	lo, hi := intRange(t.bits, t.unsigned)
	if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
		return nil, fmt.Errorf("%s is out of range [%s, %s]", n, lo, hi)
	}
	if n.IsInt64() {
		return n.Int64(), nil
	}
	return n.Uint64(), nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// fitsInt reports whether x is within intRange(bits, unsigned).
func fitsInt(x int64, bits int, unsigned bool) bool {
	switch {
	case bits <= 0 || bits > 64:
		return false
	case unsigned:
		return x >= 0 && (bits == 64 || x < int64(1)<<bits)
	default:
		return bits == 64 || (x >= -(int64(1)<<(bits-1)) && x < int64(1)<<(bits-1))
	}
}

func intRange(bits int, unsigned bool) (lo, hi *big.Int) {
	one := big.NewInt(1)
	if unsigned {
		hi = new(big.Int).Lsh(one, uint(bits))
		return big.NewInt(0), hi.Sub(hi, one)
	}
	hi = new(big.Int).Lsh(one, uint(bits-1))
	lo = new(big.Int).Neg(hi)
	return lo, hi.Sub(hi, one)
}

// toDecimal rounds to the column scale itself (half away from zero, as MySQL
// does) so the range check sees the value that will be stored, and binds text
// so no digit passes through float64.
func toDecimal(v any, t target) (any, error) {
	var text string
	switch x := v.(type) {
	case bool, int64:
		n, _ := exactInteger(x, t)
		text = n.String()
	case floatVal:
		if isNonFinite(x.V) {
			return nil, fmt.Errorf("%s cannot be stored in a DECIMAL", x.Text())
		}
		text = strconv.FormatFloat(x.V, 'f', -1, x.Bits)
	case numeric:
		text = string(x)
	case string:
		text = x
	default:
		return nil, notFor(v, t)
	}
	d, err := parseDecimal(text)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", spannertype.Shorten(text), err)
	}
	d = d.round(t.scale)
	if d.neg && t.unsigned {
		return nil, fmt.Errorf("%s is negative for an unsigned column", d)
	}
	if d.intDigits() > t.prec-t.scale {
		return nil, fmt.Errorf("%s does not fit DECIMAL(%d,%d)", d, t.prec, t.scale)
	}
	return d.String(), nil
}

func toFloat(v any, t target) (any, error) {
	var f float64
	switch x := v.(type) {
	case bool:
		if x {
			f = 1
		}
	case int64:
		f = float64(x)
	case floatVal:
		f = x.V
	case numeric, string:
		s := fmt.Sprint(x)
		if _, err := parseDecimal(s); err != nil {
			return nil, fmt.Errorf("%q: %w", spannertype.Shorten(s), err)
		}
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("%s is out of range for %s", spannertype.Shorten(s), t.dataType)
		}
	default:
		return nil, notFor(v, t)
	}
	if isNonFinite(f) {
		return nil, fmt.Errorf("%s cannot be stored in MySQL %s", floatVal{V: f, Bits: 64}.Text(), t.dataType)
	}
	if t.fam == famFloat {
		// Round to single precision here, as the column will: a FLOAT32
		// maximum read back from JSON may sit just above MaxFloat32 as a double.
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) {
			return nil, fmt.Errorf("%g is out of range for FLOAT", f)
		}
		f = float64(f32)
	}
	if t.unsigned && f < 0 {
		return nil, fmt.Errorf("%g is negative for an unsigned column", f)
	}
	return f, nil
}

// toBit binds the big-endian bytes of the column width. INT64 into BIT(64)
// keeps the two's-complement bits, since Spanner has no unsigned type and a
// 64-bit mask with the top bit set is negative there.
func toBit(v any, t target) (any, error) {
	var n *big.Int
	switch x := v.(type) {
	case []byte:
		n = new(big.Int).SetBytes(x)
	case int64:
		if x < 0 && t.bits == 64 {
			n = new(big.Int).SetUint64(uint64(x))
		} else {
			n = big.NewInt(x)
		}
	default:
		var err error
		if n, err = exactInteger(v, t); err != nil {
			return nil, err
		}
	}
	if n.Sign() < 0 {
		return nil, fmt.Errorf("%s is negative for BIT(%d)", n, t.bits)
	}
	if n.BitLen() > t.bits {
		return nil, fmt.Errorf("value needs %d bits, BIT(%d) holds %d", n.BitLen(), t.bits, t.bits)
	}
	return n.FillBytes(make([]byte, (t.bits+7)/8)), nil
}

// toYear accepts only 4-digit years (or 0): MySQL's two-digit year rules
// would turn 70 into 1970, which is a guess.
func toYear(v any, t target) (any, error) {
	n, err := exactInteger(v, t)
	if err != nil {
		return nil, err
	}
	if !n.IsInt64() || (n.Int64() != 0 && (n.Int64() < 1901 || n.Int64() > 2155)) {
		return nil, fmt.Errorf("%s is outside YEAR's range 1901..2155", n)
	}
	return n.Int64(), nil
}
