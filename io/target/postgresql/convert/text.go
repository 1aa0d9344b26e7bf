package convert

import (
	"bytes"
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

// textOf renders a scalar as text, for character columns.
func textOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case spannervalue.Float:
		return x.Text(), true
	case spannervalue.Numeric:
		return string(x), true
	case spannervalue.Date:
		return string(x), true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	case spannervalue.JSON:
		return string(x), true
	case spannervalue.UUID:
		return string(x), true
	}
	return "", false
}

// toText checks a character value: PostgreSQL text cannot hold NUL, and
// char(n) and varchar(n) count characters (trailing blanks beyond n fit
// a char(n), which drops them, and PostgreSQL accepts them for varchar(n)
// by truncating: refused here, since that changes the value).
func toText(v any, t target) (any, error) {
	s, ok := textOf(v)
	if !ok {
		return nil, notFor(v, t)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errors.New("PostgreSQL text cannot hold the NUL character")
	}
	if !utf8.ValidString(s) {
		return nil, errors.New("not valid UTF-8")
	}
	if t.maxLen > 0 {
		n := int64(utf8.RuneCountInString(s))
		if t.fam == famChar {
			n = int64(utf8.RuneCountInString(strings.TrimRight(s, " ")))
		}
		if n > t.maxLen {
			return nil, fmt.Errorf("%d characters do not fit %s (at most %d)", utf8.RuneCountInString(s), t.col.ColumnType, t.maxLen)
		}
	}
	return s, nil
}

func toBytea(v any, t target) (any, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		return []byte(x), nil
	}
	return nil, notFor(v, t)
}

// toJSON binds JSON text: a JSON value as it is, an ARRAY or scalar as
// its JSON form, a STRING holding JSON text as that text. jsonb cannot
// hold \u0000; the server refuses it.
func toJSON(v any, t target) (any, error) {
	switch x := v.(type) {
	case spannervalue.JSON:
		return string(x), nil
	case string:
		if !json.Valid([]byte(x)) {
			return nil, fmt.Errorf("%q is not JSON text", spannertype.Shorten(x))
		}
		return x, nil
	}
	b, err := jsonOf(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// jsonOf renders a decoded value as JSON.
func jsonOf(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return []byte("null"), nil
	case spannervalue.JSON:
		return []byte(x), nil
	case spannervalue.Float:
		if spannervalue.IsNonFinite(x.V) {
			return nil, fmt.Errorf("%s has no JSON form", x.Text())
		}
		return []byte(strconv.FormatFloat(x.V, 'g', -1, x.Bits)), nil
	case spannervalue.Numeric:
		if strings.EqualFold(string(x), "NaN") {
			return nil, errors.New("NaN has no JSON form")
		}
		return []byte(x), nil
	case []any:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			j, err := jsonOf(e)
			if err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
			b.Write(j)
		}
		b.WriteByte(']')
		return b.Bytes(), nil
	case []byte:
		return json.Marshal(x) // base64, as Spanner shows BYTES
	case time.Time:
		return json.Marshal(x.UTC().Format(time.RFC3339Nano))
	case bool, int64:
		return json.Marshal(x)
	}
	s, _ := textOf(v)
	return json.Marshal(s)
}

func toUUID(v any, t target) (any, error) {
	switch x := v.(type) {
	case spannervalue.UUID:
		return string(x), nil
	case string:
		if !spannervalue.UUIDPattern.MatchString(x) {
			return nil, fmt.Errorf("%q is not a UUID", spannertype.Shorten(x))
		}
		return strings.ToLower(x), nil
	case []byte:
		if len(x) != 16 {
			return nil, fmt.Errorf("%d bytes are not a UUID (16)", len(x))
		}
		h := hex.EncodeToString(x)
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
	}
	return nil, notFor(v, t)
}

// toEnum binds an enum label: it must be one of the type's labels, with
// the same case (PostgreSQL labels are case-sensitive).
func toEnum(v any, t target) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, notFor(v, t)
	}
	for _, m := range t.members {
		if m == s {
			return s, nil
		}
	}
	if len(t.members) == 0 {
		return s, nil // labels unknown: the server checks
	}
	shown := t.members[:min(len(t.members), 20)]
	return nil, fmt.Errorf("%q is not a label of enum %s (%s)", spannertype.Shorten(s), t.col.ColumnType, strings.Join(shown, ", "))
}
