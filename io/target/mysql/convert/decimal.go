package convert

import (
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// decimal is an exact base-10 number: (-1)^neg × coef × 10^-scale. It exists
// because NUMERIC (38 digits), DECIMAL(65) and BIGINT UNSIGNED all exceed
// float64, and rounding must follow MySQL's half-away-from-zero rule.
type decimal struct {
	neg   bool
	coef  string // digits without leading zeros; "" is zero
	scale int    // digits after the point, >= 0
}

var decimalPattern = regexp.MustCompile(`^([+-])?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$`)

// maxExponent keeps "1e999999999" from allocating a billion zeros; no MySQL
// numeric type comes near it.
const maxExponent = 1000

func parseDecimal(s string) (decimal, error) {
	m := decimalPattern.FindStringSubmatch(s)
	if m == nil || m[2]+m[3] == "" {
		return decimal{}, errors.New("not a decimal number")
	}
	exp := 0
	if m[4] != "" {
		e, err := strconv.Atoi(m[4])
		if err != nil || e > maxExponent || e < -maxExponent {
			return decimal{}, errors.New("decimal exponent out of range")
		}
		exp = e
	}
	d := decimal{neg: m[1] == "-", coef: m[2] + m[3], scale: len(m[3]) - exp}
	if d.scale < 0 {
		d.coef += strings.Repeat("0", -d.scale)
		d.scale = 0
	}
	return d.normal(), nil
}

func (d decimal) normal() decimal {
	d.coef = strings.TrimLeft(d.coef, "0")
	if d.coef == "" {
		d.neg = false
	}
	return d
}

// padded returns coef with enough leading zeros to have an integer digit.
func (d decimal) padded() string {
	if len(d.coef) <= d.scale {
		return strings.Repeat("0", d.scale-len(d.coef)+1) + d.coef
	}
	return d.coef
}

func (d decimal) String() string {
	p := d.padded()
	s := p
	if d.scale > 0 {
		s = p[:len(p)-d.scale] + "." + p[len(p)-d.scale:]
	}
	if d.neg {
		s = "-" + s
	}
	return s
}

// intDigits counts digits before the point, ignoring leading zeros.
func (d decimal) intDigits() int {
	if n := len(d.coef) - d.scale; n > 0 {
		return n
	}
	return 0
}

func (d decimal) isIntegral() bool {
	p := d.padded()
	return strings.Trim(p[len(p)-d.scale:], "0") == ""
}

// round rounds to scale digits after the point, half away from zero.
func (d decimal) round(scale int) decimal {
	if d.scale <= scale {
		return d
	}
	p := d.padded()
	drop := d.scale - scale
	keep, first := p[:len(p)-drop], p[len(p)-drop]
	if first >= '5' {
		keep = incrementDigits(keep)
	}
	return decimal{neg: d.neg, coef: keep, scale: scale}.normal()
}

func incrementDigits(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// bigInt returns the integer part (callers check isIntegral first).
func (d decimal) bigInt() *big.Int {
	p := d.padded()
	n, _ := new(big.Int).SetString(p[:len(p)-d.scale], 10)
	if d.neg {
		n.Neg(n)
	}
	return n
}
