package shadow

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Key converts a change record's keys JSON into the Spanner key of t, in
// primary-key order, each value typed as the key column is.
func Key(t schema.SpannerTable, keysJSON string) (spanner.Key, error) {
	var vals map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(keysJSON))
	dec.UseNumber()
	if err := dec.Decode(&vals); err != nil {
		return nil, fmt.Errorf("table %s: keys %s are not a JSON object: %w", t.Name, keysJSON, err)
	}
	key := make(spanner.Key, 0, len(t.PrimaryKey))
	for _, k := range t.PrimaryKey {
		raw, ok := vals[k.Column]
		if !ok {
			return nil, fmt.Errorf("table %s: key column %s missing from keys %s", t.Name, k.Column, keysJSON)
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
	base := strings.ToUpper(spannerType)
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = base[:i]
	}
	if string(raw) == "null" {
		return nullKeyPart(base)
	}
	var s string
	unquote := func() error { return json.Unmarshal(raw, &s) }
	switch base {
	case "INT64", "BIGINT", "INT8":
		if err := unquote(); err != nil {
			s = string(raw)
		}
		return strconv.ParseInt(s, 10, 64)
	case "STRING", "CHARACTER VARYING", "VARCHAR", "TEXT", "UUID":
		err := unquote()
		return s, err
	case "BOOL", "BOOLEAN":
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case "FLOAT64", "DOUBLE PRECISION", "FLOAT8":
		if err := unquote(); err != nil {
			s = string(raw)
		}
		return strconv.ParseFloat(s, 64)
	case "FLOAT32", "REAL", "FLOAT4":
		if err := unquote(); err != nil {
			s = string(raw)
		}
		f, err := strconv.ParseFloat(s, 32)
		return float32(f), err
	case "BYTES", "BYTEA":
		if err := unquote(); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(s)
	case "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		if err := unquote(); err != nil {
			return nil, err
		}
		return time.Parse(time.RFC3339Nano, s)
	case "DATE":
		if err := unquote(); err != nil {
			return nil, err
		}
		return civil.ParseDate(s)
	case "NUMERIC":
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
func nullKeyPart(base string) (any, error) {
	switch base {
	case "INT64", "BIGINT", "INT8":
		return spanner.NullInt64{}, nil
	case "STRING", "CHARACTER VARYING", "VARCHAR", "TEXT", "UUID":
		return spanner.NullString{}, nil
	case "BOOL", "BOOLEAN":
		return spanner.NullBool{}, nil
	case "FLOAT64", "DOUBLE PRECISION", "FLOAT8":
		return spanner.NullFloat64{}, nil
	case "FLOAT32", "REAL", "FLOAT4":
		return spanner.NullFloat32{}, nil
	case "BYTES", "BYTEA":
		return []byte(nil), nil
	case "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		return spanner.NullTime{}, nil
	case "DATE":
		return spanner.NullDate{}, nil
	case "NUMERIC":
		return spanner.NullNumeric{}, nil
	}
	return nil, fmt.Errorf("type %s cannot be a key column here", base)
}
