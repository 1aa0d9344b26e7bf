package shadow

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/pure/memo"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// Key converts a change record's keys JSON into the Spanner key of t, in
// primary-key order, each value typed as the key column is (see KeyOf).
func Key(t schema.SpannerTable, keysJSON string) (spanner.Key, error) {
	v, err := record.ModJSON{KeysJSON: keysJSON}.Decode()
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.Name, err)
	}
	return KeyOf(t, v.Keys)
}

// KeyOf converts a change record's decoded keys into the Spanner key of t,
// in primary-key order, each value typed as the key column is.
func KeyOf(t schema.SpannerTable, keys map[string]json.RawMessage) (spanner.Key, error) {
	key := make(spanner.Key, 0, len(t.PrimaryKey))
	for _, k := range t.PrimaryKey {
		raw, ok := keys[k.Column]
		if !ok {
			return nil, fmt.Errorf("table %s: key column %s missing from the change record's keys (%s)", t.Name, k.Column, strings.Join(slices.Sorted(maps.Keys(keys)), ", "))
		}
		c, _ := t.Column(k.Column)
		v, err := keyValue(c.Type, raw)
		if err != nil {
			return nil, fmt.Errorf("table %s key column %s (%s): %w", t.Name, k.Column, c.Type, err)
		}
		key = append(key, v)
	}
	return key, nil
}

// keyValue decodes one JSON-encoded key value into the Go type the Spanner
// client binds for that column type. Change streams encode INT64 and NUMERIC
// as strings, BYTES as base64, and dates and timestamps as text.
func keyValue(spannerType string, raw json.RawMessage) (any, error) {
	code := keyCode(spannerType)
	if string(raw) == "null" {
		return nullKeyPart(spannerType, code)
	}
	var s string
	unquote := func() error {
		if p, ok := spannervalue.PlainString(raw); ok {
			s = p
			return nil
		}
		return json.Unmarshal(raw, &s)
	}
	switch code {
	case spannertype.CodeInt64:
		if err := unquote(); err != nil {
			s = string(raw)
		}
		return strconv.ParseInt(s, 10, 64)
	case spannertype.CodeString, spannertype.CodeUUID:
		err := unquote()
		return s, err
	case spannertype.CodeBool:
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case spannertype.CodeFloat64:
		if err := unquote(); err != nil {
			s = string(raw)
		}
		return strconv.ParseFloat(s, 64)
	case spannertype.CodeFloat32:
		if err := unquote(); err != nil {
			s = string(raw)
		}
		f, err := strconv.ParseFloat(s, 32)
		return float32(f), err
	case spannertype.CodeBytes:
		if err := unquote(); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(s)
	case spannertype.CodeTimestamp:
		if err := unquote(); err != nil {
			return nil, err
		}
		return time.Parse(time.RFC3339Nano, s)
	case spannertype.CodeDate:
		if err := unquote(); err != nil {
			return nil, err
		}
		return civil.ParseDate(s)
	case spannertype.CodeNumeric:
		if err := unquote(); err != nil {
			s = string(raw)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		if spannerType == "numeric" { // PostgreSQL dialect
			return spanner.PGNumeric{Numeric: s, Valid: true}, nil
		}
		return *r, nil
	}
	return nil, fmt.Errorf("type %s cannot be a key column here", spannerType)
}

// nullKeyPart is the NULL of a nullable key column, typed: the client
// refuses an untyped nil key part ("key part has unsupported type <nil>"),
// which would fail every batch holding the record. decodeKeyPart returns the
// same value for a NULL read back, so both print the same Key.String().
func nullKeyPart(spannerType, code string) (any, error) {
	switch code {
	case spannertype.CodeInt64:
		return spanner.NullInt64{}, nil
	case spannertype.CodeString, spannertype.CodeUUID:
		return spanner.NullString{}, nil
	case spannertype.CodeBool:
		return spanner.NullBool{}, nil
	case spannertype.CodeFloat64:
		return spanner.NullFloat64{}, nil
	case spannertype.CodeFloat32:
		return spanner.NullFloat32{}, nil
	case spannertype.CodeBytes:
		return []byte(nil), nil
	case spannertype.CodeTimestamp:
		return spanner.NullTime{}, nil
	case spannertype.CodeDate:
		return spanner.NullDate{}, nil
	case spannertype.CodeNumeric:
		return spanner.NullNumeric{}, nil
	}
	return nil, fmt.Errorf("type %s cannot be a key column here", keyTypeName(spannerType))
}

// keyBaseNames are the key column types keyValue decodes, as
// spannertype.BaseName spells them. spannertype.Parse knows more spellings
// ("decimal", "spanner.commit_timestamp"), which stay refused as key columns.
var keyBaseNames = map[string]bool{
	"int64": true, "bigint": true, "int8": true,
	"string": true, "character varying": true, "varchar": true, "text": true, "uuid": true,
	"bool": true, "boolean": true,
	"float64": true, "double precision": true, "float8": true,
	"float32": true, "real": true, "float4": true,
	"bytes": true, "bytea": true,
	"timestamp": true, "timestamp with time zone": true, "timestamptz": true,
	"date": true, "numeric": true,
}

// keyCodes holds parseKeyCode's result per key column type: KeyOf runs
// for every change, and BaseName and Parse (regular expressions, case
// folding) cost more than decoding the key itself. The types come from
// the schema, so the cache stays small.
var keyCodes memo.Cache[string, string]

// keyCode is the spannertype code of a key column type, "" when keyValue
// does not decode that type.
func keyCode(spannerType string) string {
	return keyCodes.Get(spannerType, parseKeyCode)
}

// parseKeyCode is keyCode without the cache.
func parseKeyCode(spannerType string) string {
	if !keyBaseNames[spannertype.BaseName(spannerType)] {
		return ""
	}
	t, err := spannertype.Parse(spannerType)
	if err != nil {
		return ""
	}
	return t.Code
}

// keyTypeName is the type as nullKeyPart's error names it: upper case, cut
// before its arguments.
func keyTypeName(spannerType string) string {
	name := strings.ToUpper(spannerType)
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	return name
}
