package mapping

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// FuzzToSource feeds arbitrary keys and new-values JSON (the change
// record's mod) and custom values to the mapper: it must not panic, every
// failure must be typed (so it is classified, not retried forever), and a
// row it returns must be consistent.
func FuzzToSource(f *testing.F) {
	f.Add("Users", "INSERT", `{"id":"7"}`, `{"name":"Ann","time_colm":"2024-02-02T20:00:00Z"}`, ``)
	f.Add("Singers", "DELETE", `{"SingerId":"1"}`, `{}`, `{"first_name":"x"}`)
	f.Add("gen_pk", "DELETE", `{"gen":"x "}`, `{"a":"x","b":null}`, ``)
	f.Add("child21", "UPDATE", `{"id":"10","child_id":"20"}`, `{"update_ts":"2024-01-01T00:00:00.123456789Z"}`, `{"parent_id":1e3}`)
	f.Add("Users", "INSERT", `{"id":"1"} x`, `null`, `[]`)
	f.Add("to_gen", "INSERT", `{"gk":"\u0000"}`, `{"a":"\ud800"}`, `{"g":{"a":[1]}}`)
	m := newMapper(testNames)
	f.Fuzz(func(t *testing.T, table, mod, keys, vals, custom string) {
		r := rec(table, mod, keys, vals)
		var c map[string]json.RawMessage
		if json.Unmarshal([]byte(custom), &c) != nil {
			c = nil
		}
		v, err := r.Mod.Decode()
		if err != nil {
			return // not JSON objects: the stage reports the record before mapping
		}
		row, err := m.ToSourceWith(r, v, c)
		if err != nil {
			var me *Error
			_, known := testSpanner.Tables[table]
			if known && !errors.As(err, &me) && !errors.Is(err, ErrTableNotAtSource) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if len(row.Columns) != len(row.Values) || len(row.KeyColumns) != len(row.KeyValues) {
			t.Fatalf("inconsistent row %#v", row)
		}
		if row.Delete != (mod == record.ModDelete) {
			t.Fatalf("mod %q gave Delete=%v", mod, row.Delete)
		}
		_, _ = m.NeedsRead(r, v, true)
	})
}
