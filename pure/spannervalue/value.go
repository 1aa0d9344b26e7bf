// Package spannervalue decodes one value of a Spanner change record (the raw
// JSON found in a mod's keys or new_values) into a typed Go value. The
// targets' conversions (io/target/mysql/convert, io/target/postgresql/convert)
// start from it, so each reads the change-stream encoding the same way, and
// run in its frame (Convert), so each reports a value it cannot write the
// same way (ConversionError).
package spannervalue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// Decoded Spanner values. Distinct named types let the encoders tell a
// NUMERIC or a DATE from a STRING after decoding, since all three arrive as
// JSON strings. BOOL, INT64, STRING, BYTES, TIMESTAMP and ARRAY decode to
// bool, int64, string, []byte, time.Time and []any (nil elements are NULL).
type (
	Numeric string // NUMERIC text as Spanner sent it, or "NaN" (PostgreSQL numeric)
	Date    string // DATE as "YYYY-MM-DD"
	JSON    string // JSON column: validated JSON text
	UUID    string // UUID in lower-case 8-4-4-4-12 form
	Float   struct {
		V    float64
		Bits int // 32 or 64, so text output uses the shortest form of the right width
	}
)

// UUIDPattern is the text form of a UUID.
var UUIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Decode reads raw in the change-stream encoding of t. JSON null (or no value
// at all) decodes to nil.
func Decode(t spannertype.Type, raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch t.Code {
	case spannertype.CodeBool:
		return decodeBool(raw)
	case spannertype.CodeInt64:
		return decodeInt64(raw)
	case spannertype.CodeFloat32:
		return decodeFloat(raw, 32)
	case spannertype.CodeFloat64:
		return decodeFloat(raw, 64)
	case spannertype.CodeNumeric:
		return decodeNumeric(raw)
	case spannertype.CodeString:
		return jsonString(raw)
	case spannertype.CodeBytes:
		return decodeBytes(raw)
	case spannertype.CodeDate:
		return decodeDate(raw)
	case spannertype.CodeTimestamp:
		return decodeTimestamp(raw)
	case spannertype.CodeJSON:
		return decodeJSON(raw)
	case spannertype.CodeUUID:
		return decodeUUID(raw)
	case spannertype.CodeArray:
		return decodeArray(t, raw)
	}
	return nil, fmt.Errorf("unsupported Spanner type %s", t)
}

func jsonString(raw []byte) (string, error) {
	if raw[0] != '"' {
		return "", errors.New("expected a JSON string")
	}
	if s, ok := PlainString(raw); ok {
		return s, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("bad JSON string: %w", err)
	}
	return s, nil
}

// PlainString is the text of raw, a JSON string, when it is one that
// json.Unmarshal would return unchanged: no escape, no control character,
// valid UTF-8. Most values are; it spares them the reflection of
// json.Unmarshal (the writer decodes every value of every change).
func PlainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

func decodeBool(raw []byte) (any, error) {
	switch string(raw) {
	case "true", `"true"`:
		return true, nil
	case "false", `"false"`:
		return false, nil
	}
	return nil, errors.New("expected a JSON boolean")
}

// decodeInt64 accepts the documented string form and, defensively, a bare
// JSON number; both must be exact integers.
func decodeInt64(raw []byte) (any, error) {
	text := string(raw)
	if raw[0] == '"' {
		s, err := jsonString(raw)
		if err != nil {
			return nil, err
		}
		text = s
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("not an INT64: %w", err)
	}
	return n, nil
}

// decodeFloat accepts a JSON number, or a string for NaN and ±Infinity which
// JSON numbers cannot express.
func decodeFloat(raw []byte, bits int) (any, error) {
	text := string(raw)
	if raw[0] == '"' {
		s, err := jsonString(raw)
		if err != nil {
			return nil, err
		}
		text = s
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, fmt.Errorf("not a FLOAT%d: %w", bits, err)
	}
	return Float{V: f, Bits: bits}, nil
}

func decodeNumeric(raw []byte) (any, error) {
	s, err := jsonString(raw)
	if err != nil {
		// Tolerate a bare JSON number: its text is still exact.
		s = string(raw)
	}
	if strings.EqualFold(s, "NaN") {
		return Numeric("NaN"), nil
	}
	if !decimalText.MatchString(s) {
		return nil, errors.New("not a decimal number")
	}
	return Numeric(s), nil
}

func decodeBytes(raw []byte) (any, error) {
	s, err := jsonString(raw)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// Unpadded base64 is not what Spanner sends, but it is unambiguous.
		if b2, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
			return b2, nil
		}
		return nil, fmt.Errorf("bad base64: %w", err)
	}
	return b, nil
}

func decodeDate(raw []byte) (any, error) {
	s, err := jsonString(raw)
	if err != nil {
		return nil, err
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return nil, fmt.Errorf("not a DATE: %w", err)
	}
	return Date(s), nil
}

func decodeTimestamp(raw []byte) (any, error) {
	s, err := jsonString(raw)
	if err != nil {
		return nil, err
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("not an RFC 3339 TIMESTAMP: %w", err)
	}
	return ts.UTC(), nil
}

// decodeJSON expects the documented form, a string holding JSON text, and
// also accepts a nested JSON document in case a producer inlines it.
func decodeJSON(raw []byte) (any, error) {
	if raw[0] != '"' {
		if !json.Valid(raw) {
			return nil, errors.New("invalid JSON")
		}
		return JSON(raw), nil
	}
	s, err := jsonString(raw)
	if err != nil {
		return nil, err
	}
	if !json.Valid([]byte(s)) {
		return nil, errors.New("JSON column holds invalid JSON text")
	}
	return JSON(s), nil
}

func decodeUUID(raw []byte) (any, error) {
	s, err := jsonString(raw)
	if err != nil {
		return nil, err
	}
	if !UUIDPattern.MatchString(s) {
		return nil, errors.New("not a UUID")
	}
	return UUID(strings.ToLower(s)), nil
}

func decodeArray(t spannertype.Type, raw []byte) (any, error) {
	if t.Elem == nil {
		return nil, errors.New("ARRAY type without element type")
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, errors.New("expected a JSON array")
	}
	out := make([]any, len(elems))
	for i, e := range elems {
		v, err := Decode(*t.Elem, e)
		if err != nil {
			return nil, fmt.Errorf("array element %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// decimalText is a NUMERIC's text: digits with an optional point, sign and
// exponent.
var decimalText = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// IsNonFinite reports NaN and ±Inf.
func IsNonFinite(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }
