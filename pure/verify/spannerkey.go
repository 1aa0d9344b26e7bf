package verify

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

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
// (integers, text, dates, booleans, numbers, bytes as hex); a TIMESTAMP
// key depends on the source's time zone and is refused.
func SpannerKeysJSON(parts []KeyPart) (string, error) {
	obj := make(map[string]json.RawMessage, len(parts))
	for _, p := range parts {
		raw, err := spannerKeyValue(p)
		if err != nil {
			return "", fmt.Errorf("key column %s (%s): %w", p.Column, p.SpannerType, err)
		}
		obj[p.Column] = raw
	}
	b, err := json.Marshal(obj)
	return string(b), err
}

func spannerKeyValue(p KeyPart) (json.RawMessage, error) {
	if p.Value.Null {
		return json.RawMessage("null"), nil
	}
	t, err := spannertype.Parse(p.SpannerType)
	if err != nil {
		return nil, err
	}
	s := p.Value.Text
	switch t.Code {
	case spannertype.CodeInt64, spannertype.CodeString, spannertype.CodeUUID, spannertype.CodeNumeric, spannertype.CodeDate:
		return json.Marshal(s)
	case spannertype.CodeFloat64, spannertype.CodeFloat32:
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return json.Marshal(f)
	case spannertype.CodeBool:
		switch s {
		case "1", "true":
			return json.RawMessage("true"), nil
		case "0", "false":
			return json.RawMessage("false"), nil
		}
		return nil, fmt.Errorf("%q is not a boolean", s)
	case spannertype.CodeBytes:
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not hex: %w", s, err)
		}
		return json.Marshal(base64.StdEncoding.EncodeToString(b))
	}
	return nil, fmt.Errorf("a %s key cannot be rebuilt from the target's value", t.Code)
}
