package verify

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// KeyPart is one Spanner key column and the canonical value of the source
// key column it feeds.
type KeyPart struct {
	Column, SpannerType string
	Value               Value
}

// SpannerKeysJSON builds a change record's keys JSON from the canonical
// values of a source row's key: how a row found only in the target (extra)
// is looked up in Spanner and in the shadow tables. It covers the key
// types whose canonical form is the value itself in every target
// (integers, text, dates, booleans, numbers, bytes as hex), and TIMESTAMP
// from a date and time of day: with a zone offset as the form has one
// (PostgreSQL's timestamptz, "+00"), else a wall-clock time in zone, the
// source's time zone the writer converts instants into (a MySQL DATETIME
// or TIMESTAMP, a PostgreSQL timestamp). A form that lost part of the
// value (a DATE column fed by a TIMESTAMP, fewer fraction digits than
// Spanner's) rebuilds another key, which is then not found.
//
// exact is false when the key holds a TIMESTAMP: a target keeps at most
// microseconds of Spanner's nanoseconds (MySQL's DATETIME(0) none), so the
// key rebuilt may be another than the row's. It finds the row's shadow
// row and Spanner row when the digits were all kept, but must not be
// deleted by: the writer maps another key onto the same target row, and
// the shadow row of the key rebuilt does not order the row's changes.
func SpannerKeysJSON(parts []KeyPart, zone *time.Location) (keys string, exact bool, err error) {
	obj := make(map[string]json.RawMessage, len(parts))
	exact = true
	for _, p := range parts {
		raw, lossy, err := spannerKeyValue(p, zone)
		if err != nil {
			return "", false, fmt.Errorf("key column %s (%s): %w", p.Column, p.SpannerType, err)
		}
		obj[p.Column] = raw
		exact = exact && !lossy
	}
	b, err := json.Marshal(obj)
	return string(b), exact, err
}

// spannerKeyValue is one key part's JSON; lossy when the target's form
// may have kept only part of the value (see SpannerKeysJSON).
func spannerKeyValue(p KeyPart, zone *time.Location) (raw json.RawMessage, lossy bool, err error) {
	if p.Value.Null {
		return json.RawMessage("null"), false, nil
	}
	t, err := spannertype.Parse(p.SpannerType)
	if err != nil {
		return nil, false, err
	}
	s := p.Value.Text
	switch t.Code {
	case spannertype.CodeInt64, spannertype.CodeString, spannertype.CodeUUID, spannertype.CodeNumeric, spannertype.CodeDate:
		return marshal(s)
	case spannertype.CodeFloat64, spannertype.CodeFloat32:
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil {
			return nil, false, fmt.Errorf("%q is not a number", s)
		}
		return marshal(f)
	case spannertype.CodeBool:
		switch s {
		case "1", "true":
			return json.RawMessage("true"), false, nil
		case "0", "false":
			return json.RawMessage("false"), false, nil
		}
		return nil, false, fmt.Errorf("%q is not a boolean", s)
	case spannertype.CodeTimestamp:
		at, err := keyInstant(s, zone)
		if err != nil {
			return nil, false, err
		}
		b, err := json.Marshal(at.UTC().Format(time.RFC3339Nano))
		return b, true, err
	case spannertype.CodeBytes:
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, false, fmt.Errorf("%q is not hex: %w", s, err)
		}
		return marshal(base64.StdEncoding.EncodeToString(b))
	}
	return nil, false, fmt.Errorf("a %s key cannot be rebuilt from the target's value", t.Code)
}

// marshal is an exact key part's JSON.
func marshal(v any) (json.RawMessage, bool, error) {
	b, err := json.Marshal(v)
	return b, false, err
}

// keyInstant reads a target's canonical date and time: with its zone
// offset, or as a wall-clock time in zone.
func keyInstant(s string, zone *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07:00"} {
		if at, err := time.Parse(layout, s); err == nil {
			return at, nil
		}
	}
	if zone != nil {
		if at, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, zone); err == nil {
			return at, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time of day", s)
}
