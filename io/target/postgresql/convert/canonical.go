package convert

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// The canonical forms of runMode=verify (io/target.Scanner): one text per
// value a PostgreSQL column can hold, which both what Value binds and what
// the column prints (c::text, in the session StoredSettings sets) turn
// into.
//
//   - boolean: true, false (arrays print t, f);
//   - integers: decimal;
//   - numeric: decimal without leading or trailing zeros ("-0" is "0"),
//     NaN, Infinity, -Infinity; an unconstrained numeric keeps the scale
//     of its input, numeric(p,s) pads to s;
//   - double precision: the shortest text that reads back as the same
//     double (PostgreSQL prints that too with extra_float_digits > 0,
//     so the form is exact, unlike MySQL's 15 digits, and a float key
//     can be bound back); real: the same for the float32, which
//     StoredExpr reads as a double (exactly) so that a session's
//     extra_float_digits cannot shorten it;
//   - char(n): without trailing blanks (PostgreSQL ignores and drops
//     them); varchar, text, enum: the text;
//   - bytea: lower-case hex;
//   - date: YYYY-MM-DD; timestamp, timestamptz, time: ISO text with the
//     fraction rounded as PostgreSQL rounds input (to microseconds, then
//     to the column's precision) and trailing zero digits removed;
//     timestamptz in UTC with "+00";
//   - json, jsonb: keys sorted (a repeated key keeps its last value, as
//     jsonb does), no spaces, numbers as canonical decimals;
//   - uuid: lower case;
//   - arrays: a JSON array of the elements' canonical forms (null for
//     NULL).

// CanonicalBound is the canonical form of v, a value Value returned for col.
func CanonicalBound(col schema.SourceColumn, v any) (verify.Value, error) {
	t := targetOf(col)
	switch x := v.(type) {
	case nil:
		return verify.Null, nil
	case []byte:
		if t.fam == famBytea && !t.array {
			return verify.Text(hex.EncodeToString(x)), nil
		}
		return canonicalValue(t, string(x))
	case string:
		return canonicalValue(t, x)
	}
	return verify.Value{}, fmt.Errorf("column %s: no canonical form for a bound %T", col.Name, v)
}

// CanonicalStored is the canonical form of s, the text StoredExpr selects
// for col, nil for NULL.
func CanonicalStored(col schema.SourceColumn, s *string) (verify.Value, error) {
	if s == nil {
		return verify.Null, nil
	}
	return canonicalValue(targetOf(col), *s)
}

// StoredExpr is the select expression of col (quoted as q) whose text
// CanonicalStored reads: the value as text, a real widened to double
// precision first (exactly) so that its digits do not depend on
// extra_float_digits.
func StoredExpr(col schema.SourceColumn, q string) string {
	t := targetOf(col)
	switch {
	case t.fam == famReal && t.array:
		return q + "::float8[]::text"
	case t.fam == famReal:
		return q + "::float8::text"
	}
	return q + "::text"
}

// StoredSettings are the session settings (set_config names and values)
// the output forms CanonicalStored reads depend on; a reader sets them
// for its transaction.
var StoredSettings = [][2]string{
	{"extra_float_digits", "3"},
	{"DateStyle", "ISO, MDY"},
	{"bytea_output", "hex"},
	{"TimeZone", "UTC"},
}

func canonicalValue(t target, s string) (verify.Value, error) {
	var out string
	var err error
	if t.array {
		out, err = canonicalArray(t, s)
	} else {
		out, err = canonicalScalar(t, s)
	}
	if err != nil {
		return verify.Value{}, fmt.Errorf("column %s (%s): value %.80q: %w", t.col.Name, t.col.ColumnType, s, err)
	}
	return verify.Text(out), nil
}

func canonicalScalar(t target, s string) (string, error) {
	switch t.fam {
	case famBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "t", "true":
			return "true", nil
		case "f", "false":
			return "false", nil
		}
		return "", errors.New("not a boolean")
	case famInt, famNumeric:
		return canonicalDecimal(s)
	case famDouble:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return "", err
		}
		return floatText(f, 64), nil
	case famReal:
		// The writer binds float32 digits; StoredExpr reads the widened
		// double: both are the same float32.
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return "", err
		}
		return floatText(float64(float32(f)), 32), nil
	case famChar:
		return strings.TrimRight(s, " "), nil
	case famBytea:
		h, ok := strings.CutPrefix(s, `\x`)
		if !ok {
			return "", errors.New(`bytea text without the \x prefix (bytea_output is not hex)`)
		}
		if _, err := hex.DecodeString(h); err != nil {
			return "", err
		}
		return strings.ToLower(h), nil
	case famTimestamp, famTimestamptz:
		return canonicalTimestamp(s, fractionDigits(t), t.fam == famTimestamptz)
	case famTime:
		return canonicalTime(s, fractionDigits(t))
	case famJSON, famJSONB:
		return canonicalJSON(s)
	case famUUID:
		return strings.ToLower(strings.TrimSpace(s)), nil
	}
	return s, nil
}

// floatText is the shortest text of f (a float32 when bits is 32), with
// PostgreSQL's spellings of the non-finite values.
func floatText(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// maxCanonicalExponent bounds the exponent canonicalDecimal expands, so
// that "1e999999999" in a JSON document does not become a billion digits;
// beyond it the number is kept as written.
const maxCanonicalExponent = 10000

// canonicalDecimal is a number's plain decimal text without leading or
// trailing zeros ("-0" is "0"), or NaN, Infinity, -Infinity.
func canonicalDecimal(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "nan":
		return "NaN", nil
	case "infinity", "+infinity", "inf", "+inf":
		return "Infinity", nil
	case "-infinity", "-inf":
		return "-Infinity", nil
	}
	neg := false
	body := s
	if body != "" && (body[0] == '-' || body[0] == '+') {
		neg, body = body[0] == '-', body[1:]
	}
	exp := 0
	if i := strings.IndexAny(body, "eE"); i >= 0 {
		e, err := strconv.Atoi(body[i+1:])
		if err != nil {
			return "", fmt.Errorf("%q is not a number", s)
		}
		if e > maxCanonicalExponent || e < -maxCanonicalExponent {
			return strings.ToLower(s), nil
		}
		exp, body = e, body[:i]
	}
	intPart, frac, _ := strings.Cut(body, ".")
	if intPart == "" && frac == "" || strings.Trim(intPart+frac, "0123456789") != "" {
		return "", fmt.Errorf("%q is not a number", s)
	}
	// digits × 10^(exp − len(frac)): place the point point digits in.
	digits := intPart + frac
	point := len(intPart) + exp
	if point < 0 {
		digits = strings.Repeat("0", -point) + digits
		point = 0
	}
	if point > len(digits) {
		digits += strings.Repeat("0", point-len(digits))
	}
	ip := strings.TrimLeft(digits[:point], "0")
	fp := strings.TrimRight(digits[point:], "0")
	if ip == "" {
		ip = "0"
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, nil
}

// fractionDigits is the fractional-second precision of a timestamp or
// time column, 6 unless its type says timestamp(p) or time(p).
func fractionDigits(t target) int {
	if args := typeArgs(t.col.ColumnType); len(args) == 1 {
		if p, err := strconv.Atoi(args[0]); err == nil && p >= 0 && p <= 6 {
			return p
		}
	}
	return 6
}

// pgEpoch is PostgreSQL's timestamp epoch: its rounding is symmetric
// around it.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// Layouts of the timestamp texts: the writer's (offset Z or none) and
// PostgreSQL's (offset +00 or +05:30).
var (
	timestampLayouts   = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05"}
	timestamptzLayouts = []string{"2006-01-02 15:04:05Z07", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z07:00:00", "2006-01-02T15:04:05Z07:00"}
)

// canonicalTimestamp reads a timestamp's text, rounds it as PostgreSQL
// rounds input for a column of precision p and prints it in ISO form
// (timestamptz in UTC).
func canonicalTimestamp(s string, p int, tz bool) (string, error) {
	layouts := timestampLayouts
	if tz {
		layouts = timestamptzLayouts
	}
	s = strings.TrimSpace(s)
	var ts time.Time
	var err error
	for _, l := range layouts {
		if ts, err = time.Parse(l, s); err == nil {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("not a timestamp: %w", err)
	}
	us := fractionMicros(ts.Nanosecond())
	total := (ts.Unix()-pgEpoch)*1_000_000 + us
	total = roundTypmod(total, p)
	sec, frac := floorDiv(total, 1_000_000)
	out := time.Unix(sec+pgEpoch, frac*1000).UTC().Format("2006-01-02 15:04:05.999999")
	if tz {
		out += "+00"
	}
	return out, nil
}

// canonicalTime reads a time of day, rounds it as PostgreSQL does for a
// column of precision p (24:00:00 is the end of the day).
func canonicalTime(s string, p int) (string, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(whole, ":")
	if len(parts) != 3 {
		return "", errors.New("not a time of day (HH:MM:SS)")
	}
	var hms [3]int64
	for i, x := range parts {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil || n < 0 {
			return "", errors.New("not a time of day (HH:MM:SS)")
		}
		hms[i] = n
	}
	var us int64
	if frac != "" {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return "", err
		}
		us = int64(math.RoundToEven(f * 1e6))
	}
	total := roundTypmod(((hms[0]*60+hms[1])*60+hms[2])*1_000_000+us, p)
	sec, fus := total/1_000_000, total%1_000_000
	out := fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	if fus != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%06d", fus), "0")
	}
	return out, nil
}

func floorDiv(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// canonicalJSON re-encodes a document with sorted keys, no spaces and
// canonical numbers.
func canonicalJSON(s string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("not JSON: %w", err)
	}
	v, err := canonicalNumbers(v)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func canonicalNumbers(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if x[k], err = canonicalNumbers(e); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			if x[i], err = canonicalNumbers(e); err != nil {
				return nil, err
			}
		}
	case json.Number:
		d, err := canonicalDecimal(string(x))
		if err != nil {
			return nil, err
		}
		return json.Number(d), nil
	}
	return v, nil
}

// canonicalArray reads a one-dimensional array's text ({a,"b c",NULL})
// and renders its elements' canonical forms as a JSON array.
func canonicalArray(t target, s string) (string, error) {
	elems, err := parseArray(s)
	if err != nil {
		return "", err
	}
	et := t
	et.array = false
	out := make([]*string, len(elems))
	for i, e := range elems {
		if e == nil {
			continue
		}
		c, err := canonicalScalar(et, *e)
		if err != nil {
			return "", fmt.Errorf("array element %d: %w", i, err)
		}
		// JSON has no invalid UTF-8 (a UTF8 database holds none either).
		c = strings.ToValidUTF8(c, "\uFFFD")
		out[i] = &c
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// parseArray splits a one-dimensional array's text into its elements (nil
// for an unquoted NULL), undoing quotes and backslash escapes.
func parseArray(s string) ([]*string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		// Explicit bounds ([0:1]={...}); the writer never writes them,
		// but the elements still compare.
		if i := strings.Index(s, "="); i >= 0 {
			s = s[i+1:]
		}
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, errors.New("not an array literal")
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return []*string{}, nil
	}
	var out []*string
	for i := 0; ; {
		var b strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
			}
			if i >= len(body) {
				return nil, errors.New("unterminated quoted array element")
			}
			i++
		} else {
			for ; i < len(body) && body[i] != ','; i++ {
				switch body[i] {
				case '{', '}':
					return nil, errors.New("nested arrays are not supported")
				case '\\':
					if i+1 < len(body) {
						i++
					}
				}
				b.WriteByte(body[i])
			}
		}
		e := b.String()
		if !quoted && strings.EqualFold(strings.TrimSpace(e), "NULL") {
			out = append(out, nil)
		} else {
			if !quoted {
				e = strings.TrimSpace(e)
			}
			out = append(out, &e)
		}
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, errors.New("array element not followed by a comma")
		}
		i++
	}
}

// BindCanonical is the text to bind for key column col (a parameter of
// unspecified type, which PostgreSQL reads as the column's type) that
// compares as the stored value whose canonical form v is.
func BindCanonical(col schema.SourceColumn, v verify.Value) (any, error) {
	if v.Null {
		return nil, nil
	}
	t := targetOf(col)
	if t.array {
		var elems []*string
		if err := json.Unmarshal([]byte(v.Text), &elems); err != nil {
			return nil, fmt.Errorf("column %s: %q is not a canonical array: %w", col.Name, v.Text, err)
		}
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range elems {
			if i > 0 {
				b.WriteByte(',')
			}
			if e == nil {
				b.WriteString("NULL")
				continue
			}
			x := *e
			if t.fam == famBytea {
				x = `\x` + x
			}
			b.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x) + `"`)
		}
		b.WriteByte('}')
		return b.String(), nil
	}
	if t.fam == famBytea {
		return `\x` + v.Text, nil
	}
	return v.Text, nil
}
