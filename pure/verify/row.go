package verify

import (
	"encoding/json"
	"strings"
)

// Value is one column value in a target's canonical text form. Two values
// are equal exactly when their forms are: each target defines the form so
// that what the writer binds and what the column gives back agree (see
// io/target.Scanner).
type Value struct {
	Text string `json:"text,omitempty"`
	Null bool   `json:"null,omitempty"`
}

// Null is SQL NULL.
var Null = Value{Null: true}

// Text is a non-NULL value.
func Text(s string) Value { return Value{Text: s} }

// String renders a value for reports: NULL, or the text as a JSON string.
func (v Value) String() string {
	if v.Null {
		return "NULL"
	}
	b, _ := json.Marshal(v.Text)
	return string(b)
}

// MarshalJSON writes NULL as null and a value as its text, so a report
// line reads like the row.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.Null {
		return []byte("null"), nil
	}
	return json.Marshal(v.Text)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Value) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = Null
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*v = Text(s)
	return nil
}

// Row is one row of a target table in canonical form: the columns that are
// compared, in the table's order, and their values.
type Row struct {
	Columns []string
	Values  []Value
}

// Get returns the value of column name (names compare case-insensitively,
// as MySQL's do), or false.
func (r Row) Get(name string) (Value, bool) {
	for i, c := range r.Columns {
		if strings.EqualFold(c, name) {
			return r.Values[i], true
		}
	}
	return Value{}, false
}

// Key identifies a row across both sides: the shard it belongs to, the
// target table, and the primary key's canonical values in key order.
type Key struct {
	Shard string
	Table string
	PK    []Value
}

// String is the key as one string, the grouping key of the join: equal
// keys give equal strings and different keys different ones.
func (k Key) String() string {
	b, _ := json.Marshal([]any{k.Shard, k.Table, pkJSON(k.PK)})
	return string(b)
}

// ParseKey reverses Key.String.
func ParseKey(s string) (Key, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(s), &parts); err != nil || len(parts) != 3 {
		return Key{}, errBadKey(s)
	}
	var k Key
	var pk []*string
	if json.Unmarshal(parts[0], &k.Shard) != nil || json.Unmarshal(parts[1], &k.Table) != nil || json.Unmarshal(parts[2], &pk) != nil {
		return Key{}, errBadKey(s)
	}
	for _, p := range pk {
		if p == nil {
			k.PK = append(k.PK, Null)
		} else {
			k.PK = append(k.PK, Text(*p))
		}
	}
	return k, nil
}

// pkJSON lists the key values with NULL as null.
func pkJSON(vs []Value) []*string {
	out := make([]*string, len(vs))
	for i, v := range vs {
		if !v.Null {
			s := v.Text
			out[i] = &s
		}
	}
	return out
}

// KeyOf is the key of row r of table in shard: the values of pk, in order;
// false when r lacks a key column.
func KeyOf(shard, table string, pk []string, r Row) (Key, bool) {
	k := Key{Shard: shard, Table: table, PK: make([]Value, len(pk))}
	for i, c := range pk {
		v, ok := r.Get(c)
		if !ok {
			return Key{}, false
		}
		k.PK[i] = v
	}
	return k, true
}
