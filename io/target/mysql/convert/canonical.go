package convert

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// The canonical forms of runMode=verify (io/target.Scanner): one text per
// value a MySQL column can hold, which both what Value binds and what the
// column returns over the text protocol turn into.
//
//   - integers, YEAR: decimal; BIT: the bits as an unsigned decimal;
//   - DECIMAL: decimal without leading or trailing zeros ("-0" is "0");
//   - FLOAT, DOUBLE: 15 significant digits (%g), the digits both MySQL
//     and MariaDB print faithfully; FLOAT(M,D), DOUBLE(M,D): D decimals.
//     StoredExpr reads a FLOAT as a double, since the server prints a
//     FLOAT with 6 digits only;
//   - CHAR: without trailing spaces (MySQL removes them on read);
//     VARCHAR, TEXT, ENUM: the text;
//   - SET: members in definition order, once each (as MySQL stores them);
//   - JSON: keys sorted, no spaces, numbers as integers or as 15-digit
//     %g (MySQL normalises documents, MariaDB keeps the text);
//   - BINARY(n): hex of the value padded with zero bytes to n, as MySQL
//     stores it; VARBINARY, BLOB: hex;
//   - DATE, DATETIME, TIMESTAMP, TIME: MySQL's text with trailing zero
//     fraction digits removed, TIME hours in at least two digits;
//     TIMESTAMP values are read in the session time zone the writer binds
//     in (sourceDbTimezoneOffset);
//   - UUID: lower case.

// CanonicalBound is the canonical form of v, a value Value returned for col.
func CanonicalBound(col schema.SourceColumn, v any) (verify.Value, error) {
	t := targetOf(col)
	var raw []byte
	switch x := v.(type) {
	case nil:
		return verify.Null, nil
	case int64:
		raw = []byte(strconv.FormatInt(x, 10))
	case uint64:
		raw = []byte(strconv.FormatUint(x, 10))
	case float64:
		raw = []byte(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		raw = []byte(x)
	case []byte:
		raw = x
		if t.dataType == "binary" && col.MaxLength > int64(len(x)) {
			raw = append(append([]byte{}, x...), make([]byte, col.MaxLength-int64(len(x)))...)
		}
	default:
		return verify.Value{}, fmt.Errorf("column %s: no canonical form for a bound %T", col.Name, v)
	}
	return canonical(t, raw)
}

// CanonicalStored is the canonical form of raw, the text protocol's value of
// col as StoredExpr selects it (nil is NULL).
func CanonicalStored(col schema.SourceColumn, raw []byte) (verify.Value, error) {
	if raw == nil {
		return verify.Null, nil
	}
	return canonical(targetOf(col), raw)
}

// StoredExpr is the select expression of col (quoted as q) whose text
// CanonicalStored reads.
func StoredExpr(col schema.SourceColumn, q string) string {
	if targetOf(col).fam == famFloat {
		return "(" + q + " + 0E0)"
	}
	return q
}

func canonical(t target, raw []byte) (verify.Value, error) {
	s := string(raw)
	fail := func(err error) (verify.Value, error) {
		return verify.Value{}, fmt.Errorf("column %s (%s): value %.80q: %w", t.col.Name, t.col.ColumnType, s, err)
	}
	switch t.fam {
	case famInt, famYear:
		n, ok := new(big.Int).SetString(strings.TrimSpace(s), 10)
		if !ok {
			return fail(fmt.Errorf("not an integer"))
		}
		return verify.Text(n.String()), nil
	case famDecimal:
		d, err := parseDecimal(strings.TrimSpace(s))
		if err != nil {
			return fail(err)
		}
		for d.scale > 0 && strings.HasSuffix(d.coef, "0") {
			d.coef, d.scale = d.coef[:len(d.coef)-1], d.scale-1
		}
		return verify.Text(d.normal().String()), nil
	case famFloat, famDouble:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fail(err)
		}
		if args := typeArgList(t.col.ColumnType); len(args) == 2 {
			return verify.Text(strconv.FormatFloat(f, 'f', atoiOr(args[1], 0), 64)), nil
		}
		return verify.Text(strconv.FormatFloat(f, 'g', 15, 64)), nil
	case famBit:
		return verify.Text(new(big.Int).SetBytes(raw).String()), nil
	case famChar:
		if t.dataType == "char" {
			s = strings.TrimRight(s, " ")
		}
		return verify.Text(s), nil
	case famSet:
		return verify.Text(canonicalSet(t, s)), nil
	case famJSON:
		j, err := canonicalJSON(raw)
		if err != nil {
			return fail(err)
		}
		return verify.Text(j), nil
	case famBinary, famBlob:
		return verify.Text(hex.EncodeToString(raw)), nil
	case famUUID:
		return verify.Text(strings.ToLower(s)), nil
	case famTime:
		return verify.Text(canonicalTime(s)), nil
	case famDatetime, famTimestamp:
		return verify.Text(trimFraction(s)), nil
	}
	return verify.Text(s), nil
}

// canonicalSet orders members as the column defines them, once each;
// unknown members (not written by Value) stay, after the known ones.
func canonicalSet(t target, s string) string {
	if s == "" {
		return ""
	}
	seen := map[string]bool{}
	var known, unknown []string
	for _, p := range strings.Split(s, ",") {
		m, ok := member(t.members, p)
		switch {
		case !ok:
			unknown = append(unknown, p)
		case !seen[m]:
			seen[m] = true
		}
	}
	for _, m := range t.members {
		if seen[m] {
			known = append(known, m)
		}
	}
	return strings.Join(append(known, unknown...), ",")
}

// trimFraction removes trailing zero fraction digits: MySQL pads to the
// column's precision, the writer binds only the digits it has.
func trimFraction(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 && !strings.ContainsAny(s[i:], " :-") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

func canonicalTime(s string) string {
	s = trimFraction(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if i := strings.IndexByte(s, ':'); i == 1 {
		s = "0" + s
	}
	if neg && strings.Trim(s, "0:.") != "" {
		return "-" + s
	}
	return s
}

// canonicalJSON re-encodes a document with sorted keys, no spaces and
// canonical numbers.
func canonicalJSON(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("not JSON: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(canonicalNumbers(v)); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func canonicalNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = canonicalNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = canonicalNumbers(e)
		}
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return x
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return json.Number(strconv.FormatFloat(f, 'g', 15, 64))
		}
	}
	return v
}

// BindCanonical is the value to bind (with KeyPlaceholder) for col so that
// the server compares it with the stored value as the stored type: the
// inverse of the canonical form for key columns.
func BindCanonical(col schema.SourceColumn, v verify.Value) (any, error) {
	if v.Null {
		return nil, nil
	}
	t := targetOf(col)
	switch t.fam {
	case famInt, famYear:
		if t.unsigned {
			return strconv.ParseUint(v.Text, 10, 64)
		}
		return strconv.ParseInt(v.Text, 10, 64)
	case famFloat, famDouble:
		return strconv.ParseFloat(v.Text, 64)
	case famBit:
		n, ok := new(big.Int).SetString(v.Text, 10)
		if !ok {
			return nil, fmt.Errorf("column %s: %q is not a BIT value", col.Name, v.Text)
		}
		return n.FillBytes(make([]byte, (t.bits+7)/8)), nil
	case famBinary, famBlob:
		return hex.DecodeString(v.Text)
	}
	return v.Text, nil
}

// KeyBounds is, for a FLOAT or DOUBLE column, an interval of doubles that
// holds every stored value whose canonical form is v: the form keeps 15
// significant digits (FLOAT(M,D), DOUBLE(M,D): D decimals), so v bound
// back (BindCanonical) finds only the values it prints exactly, and a key
// needing 16 or 17 digits (0.1+0.2) would not be found. Reading by the
// interval and keeping the rows whose form is v finds them all. ok is
// false for the other columns, whose forms bind back exactly.
func KeyBounds(col schema.SourceColumn, v verify.Value) (lo, hi float64, ok bool, err error) {
	t := targetOf(col)
	if v.Null || (t.fam != famFloat && t.fam != famDouble) {
		return 0, 0, false, nil
	}
	f, err := strconv.ParseFloat(v.Text, 64)
	if err != nil {
		return 0, 0, false, fmt.Errorf("column %s: %q is not a canonical number: %w", col.Name, v.Text, err)
	}
	// Half a unit of the last kept digit is the most a form rounds by;
	// the margin is twice that.
	w := math.Abs(f) * 1e-14
	if args := typeArgList(t.col.ColumnType); len(args) == 2 {
		w = math.Pow(10, -float64(atoiOr(args[1], 0)))
	}
	return f - w, f + w, true, nil
}

// KeyPlaceholder is the placeholder of a value BindCanonical bound for
// col: a DECIMAL is cast, or MySQL would compare the text as a double.
func KeyPlaceholder(col schema.SourceColumn) string {
	t := targetOf(col)
	if t.fam == famDecimal {
		return fmt.Sprintf("CAST(? AS DECIMAL(%d,%d))", t.prec, t.scale)
	}
	return "?"
}
