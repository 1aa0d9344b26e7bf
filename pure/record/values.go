package record

import (
	"encoding/json"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// Values is a mod's keys and new values, decoded from their JSON text once
// per stage and shared by every step of the stage that reads them (shadow
// key, custom transformation request, mapping, completion), each value
// still in Spanner's JSON encoding.
type Values struct {
	Keys map[string]json.RawMessage
	New  map[string]json.RawMessage
}

// Decode decodes m's keys and new values. An empty text is an empty
// object (a DELETE's new values under NEW_ROW). Its errors are severe:
// the same text fails the same way on every retry.
func (m ModJSON) Decode() (Values, error) {
	keys, err := m.DecodeKeys()
	if err != nil {
		return Values{}, err
	}
	vals, err := m.DecodeNewValues()
	if err != nil {
		return Values{}, err
	}
	return Values{Keys: keys, New: vals}, nil
}

// DecodeNewValues decodes m's new values alone, as Decode does (for a
// caller that decoded the keys before, DecodeKeys).
func (m ModJSON) DecodeNewValues() (map[string]json.RawMessage, error) {
	vals, err := decodeObject(m.NewValuesJSON)
	if err != nil {
		return nil, failure.MarkSevere(fmt.Errorf("new values %.200s are not a JSON object: %w", m.NewValuesJSON, err))
	}
	return vals, nil
}

// DecodeKeys decodes m's keys alone, as Decode does: what the shadow key
// needs, without the cost of the new values.
func (m ModJSON) DecodeKeys() (map[string]json.RawMessage, error) {
	keys, err := decodeObject(m.KeysJSON)
	if err != nil {
		return nil, failure.MarkSevere(fmt.Errorf("keys %.200s are not a JSON object: %w", m.KeysJSON, err))
	}
	return keys, nil
}

func decodeObject(s string) (map[string]json.RawMessage, error) {
	if s == "" {
		return map[string]json.RawMessage{}, nil
	}
	if fast, ok := flatObject(s); ok {
		return fast, nil
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	if m == nil { // the text "null"
		m = map[string]json.RawMessage{}
	}
	return m, nil
}
