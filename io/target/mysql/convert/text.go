package convert

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// textOf is the character form of a value, as Spanner's CAST(x AS STRING)
// would give it; arrays become JSON array text.
func textOf(v any) (string, error) {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case floatVal:
		return x.Text(), nil
	case numeric:
		return string(x), nil
	case string:
		return x, nil
	case []byte:
		if !utf8.Valid(x) {
			return "", errors.New("BYTES are not valid UTF-8 text")
		}
		return string(x), nil
	case civilDay:
		return string(x), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	case jsonText:
		return string(x), nil
	case uuidText:
		return string(x), nil
	case []any:
		b, err := jsonOf(x)
		return string(b), err
	}
	return "", fmt.Errorf("unexpected value %T", v)
}

// toText checks the declared length because non-strict MySQL would truncate
// silently: CHAR/VARCHAR count characters, the TEXT types count bytes.
func toText(v any, t target) (any, error) {
	s, err := textOf(v)
	if err != nil {
		return nil, err
	}
	if limit := t.col.MaxLength; limit > 0 {
		n := int64(len(s))
		unit := "bytes"
		if t.fam == famChar {
			n, unit = int64(utf8.RuneCountInString(s)), "characters"
		}
		if n > limit {
			return nil, fmt.Errorf("%d %s exceed the column's %d", n, unit, limit)
		}
	}
	return s, nil
}

// member returns the enum/set member matching s, preferring an exact match
// over a case-insensitive one (the usual collations ignore case).
func member(members []string, s string) (string, bool) {
	for _, m := range members {
		if m == s {
			return m, true
		}
	}
	for _, m := range members {
		if strings.EqualFold(m, s) {
			return m, true
		}
	}
	return "", false
}

func toEnum(v any, t target) (any, error) {
	s, err := textOf(v)
	if err != nil {
		return nil, err
	}
	m, ok := member(t.members, s)
	if !ok {
		return nil, fmt.Errorf("%q is not a member of %s", spannertype.Shorten(s), t.col.ColumnType)
	}
	return m, nil
}

// toSet accepts ARRAY<STRING> (one member per element) or comma-separated
// text, MySQL's own SET notation.
func toSet(v any, t target) (any, error) {
	var parts []string
	if arr, ok := v.([]any); ok {
		for i, e := range arr {
			if e == nil {
				return nil, fmt.Errorf("array element %d is NULL", i)
			}
			s, err := textOf(e)
			if err != nil {
				return nil, err
			}
			if strings.Contains(s, ",") {
				return nil, fmt.Errorf("array element %d contains a comma", i)
			}
			parts = append(parts, s)
		}
	} else {
		s, err := textOf(v)
		if err != nil {
			return nil, err
		}
		if s != "" {
			parts = strings.Split(s, ",")
		}
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		m, ok := member(t.members, p)
		if !ok {
			return nil, fmt.Errorf("%q is not a member of %s", spannertype.Shorten(p), t.col.ColumnType)
		}
		out[i] = m
	}
	return strings.Join(out, ","), nil
}

// toJSONColumn treats a STRING as JSON text (Spanner databases often kept
// JSON in STRING columns) and encodes everything else as Spanner's TO_JSON
// would.
func toJSONColumn(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if !json.Valid([]byte(x)) {
			return nil, errors.New("text is not valid JSON")
		}
		return x, nil
	case jsonText:
		return string(x), nil
	}
	b, err := jsonOf(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// jsonOf follows Spanner's TO_JSON: non-finite floats and BYTES (base64)
// become JSON strings, NUMERIC stays a number.
func jsonOf(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return []byte("null"), nil
	case bool:
		return []byte(strconv.FormatBool(x)), nil
	case int64:
		return []byte(strconv.FormatInt(x, 10)), nil
	case floatVal:
		if isNonFinite(x.V) {
			return json.Marshal(x.Text())
		}
		return []byte(strconv.FormatFloat(x.V, 'g', -1, x.Bits)), nil
	case numeric:
		if x == "NaN" {
			return []byte(`"NaN"`), nil
		}
		d, _ := parseDecimal(string(x))
		return []byte(d.String()), nil
	case []byte:
		return json.Marshal(base64.StdEncoding.EncodeToString(x))
	case jsonText:
		return []byte(x), nil
	case string, civilDay, uuidText, time.Time:
		s, _ := textOf(x)
		return json.Marshal(s)
	case []any:
		var b strings.Builder
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			eb, err := jsonOf(e)
			if err != nil {
				return nil, err
			}
			b.Write(eb)
		}
		b.WriteByte(']')
		return []byte(b.String()), nil
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}

// toUUID serves MariaDB's native UUID type.
func toUUID(v any) (any, error) {
	switch x := v.(type) {
	case uuidText:
		return string(x), nil
	case string:
		if !uuidPattern.MatchString(x) {
			return nil, errors.New("text is not a UUID")
		}
		return strings.ToLower(x), nil
	case []byte:
		if len(x) != 16 {
			return nil, fmt.Errorf("%d BYTES are not a 16-byte UUID", len(x))
		}
		h := hex.EncodeToString(x)
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
	}
	return nil, fmt.Errorf("a %s value has no faithful uuid form", spannervalue.KindName(v))
}

// toBytes: BYTES go as they are, text as its UTF-8 bytes. A UUID into a
// 16-byte column is the usual compact storage, so it goes as raw bytes.
func toBytes(v any, t target) (any, error) {
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	case uuidText:
		if t.fam == famBinary && t.col.MaxLength == 16 {
			b, _ = hex.DecodeString(strings.ReplaceAll(string(x), "-", ""))
		} else {
			b = []byte(x)
		}
	default:
		s, err := textOf(v)
		if err != nil {
			return nil, err
		}
		b = []byte(s)
	}
	if limit := t.col.MaxLength; limit > 0 && int64(len(b)) > limit {
		return nil, fmt.Errorf("%d bytes exceed the column's %d", len(b), limit)
	}
	if b == nil {
		b = []byte{} // nil []byte would bind as NULL
	}
	return b, nil
}
