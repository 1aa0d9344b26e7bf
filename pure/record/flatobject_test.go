package record

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestFlatObject: change records' objects decode as json.Unmarshal
// decodes them; what the scan leaves to json.Unmarshal says so.
func TestFlatObject(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{}`, true},
		{` { } `, true},
		{`{"Id":"5"}`, true},
		{`{"Name":"a\"b\u00e9","Qty":-12.5e+3,"Active":true,"X":null,"F":false,"Z":0}`, true},
		{"{\n\t\"a\" : 1 ,\r\n \"a\" : 2 }", true}, // the last duplicate wins
		{`{"é":"ü"}`, true},
		{`{"a":[1]}`, false},
		{`{"a":{"b":1}}`, false},
		{`{"a\u0041":1}`, false},
		{`{"a":01}`, false},
		{`{"a":1.}`, false},
		{`{"a":-}`, false},
		{`{"a":1e}`, false},
		{`{"a":"\x"}`, false},
		{"{\"a\":\"\x01\"}", false},
		{"{\"a\":\"\xff\"}", false},
		{`{"a":1,}`, false},
		{`{"a":1}x`, false},
		{`{"a" 1}`, false},
		{`{"a":tru}`, false},
		{`null`, false},
		{`[]`, false},
		{`{"a":1`, false},
	} {
		got, ok := flatObject(tc.in)
		if ok != tc.ok {
			t.Errorf("flatObject(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.in), &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("flatObject(%q) = %q; json.Unmarshal gives %q (%v)", tc.in, got, want, err)
		}
	}
}

// FuzzFlatObject: whenever the scan answers, json.Unmarshal agrees.
func FuzzFlatObject(f *testing.F) {
	for _, s := range []string{`{"Id":"5"}`, `{"a":1,"b":"x\"y","c":null}`, `{"a":-0.5E-2}`, `{"a":[1]}`, `{}`,
		// review rev16: escapes, unicode, nesting, numbers as text, huge and
		// negative-zero numbers, whitespace, duplicates, keys needing escapes.
		`{"a\u0000b":"\ud83d\ude00","\u00e9":"\/"}`, `{"k":"\ud800"}`, "{\"\u2028\":\"\x7f\"}",
		`{"a":{"b":[1,{"c":null}]},"d":"{\"e\":1}"}`, `{"Id":"-0","N":"123456789012345678901234567890.5e-3"}`,
		`{"i":99999999999999999999999999,"z":-0,"e":1E+400,"f":-0.0e-0}`, " \t\r\n{ \"a\" :\t\"b\" \n}\r\n ",
		`{"a":1,"a":"2","a":null}`, `{"A":1,"a":2}`, `{"":""}`, "{\"a\":\"\xed\xa0\x80\"}", "\ufeff{}",
		`{"a":true,"b":false,"c":nul}`, `{"a":1 2}`, `{"a":"b"}}`, `{"a":"b",}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := flatObject(s)
		if !ok {
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("flatObject(%q) = %q; json.Unmarshal gives %q (%v)", s, got, want, err)
		}
	})
}

// TestFlatObjectSizedByItsKeysOnly: a value that holds text looking like
// keys (a JSON column is a string of escaped JSON: {\"k\":1,...}; or a
// nested object, which flatObject leaves to json.Unmarshal) does not size
// the map: decoding a change whose one JSON value has 100k keys must not
// allocate a map for 100k entries (megabytes, per record, for a map of
// two).
func TestFlatObjectSizedByItsKeysOnly(t *testing.T) {
	for _, c := range []struct {
		name, quote string
		ok          bool
	}{{"JSON string", `\"`, true}, {"nested object", `"`, false}} {
		t.Run(c.name, func(t *testing.T) {
			var doc strings.Builder
			doc.WriteString(`{"Id":"1","Doc":`)
			if c.ok {
				doc.WriteString(`"`)
			}
			doc.WriteString(`{`)
			for i := range 100_000 {
				if i > 0 {
					doc.WriteByte(',')
				}
				fmt.Fprintf(&doc, `%sk%d%s:1`, c.quote, i, c.quote)
			}
			doc.WriteString(`}`)
			if c.ok {
				doc.WriteString(`"`)
			}
			doc.WriteString(`}`)
			s := doc.String()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m, ok := flatObject(s)
			runtime.ReadMemStats(&after)
			if ok != c.ok || (ok && len(m) != 2) {
				t.Fatalf("flatObject: %d keys, ok %t; want 2 keys, ok %t", len(m), ok, c.ok)
			}
			// The value is copied once (json.RawMessage); the map of two
			// keys is a few hundred bytes.
			if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(len(s))+64<<10; got > limit {
				t.Errorf("decoding %d bytes with 2 keys allocated %d bytes, want at most %d", len(s), got, limit)
			}
		})
	}
}

// TestFlatObjectValuesAreCapped: the values share one copy of the text;
// appending to one must not write into the next.
func TestFlatObjectValuesAreCapped(t *testing.T) {
	m, ok := flatObject(`{"A":"x","B":12,"C":null}`)
	if !ok {
		t.Fatal("flatObject refused a flat object")
	}
	for k, v := range m {
		if cap(v) != len(v) {
			t.Errorf("value of %s: cap %d, len %d; an append would write into the next value", k, cap(v), len(v))
		}
	}
	_ = append(m["A"], "zzzz"...)
	if string(m["B"]) != "12" || string(m["C"]) != "null" {
		t.Errorf("after an append to A: B=%s C=%s", m["B"], m["C"])
	}
}

// TestFlatObjectRepeatedKeysDoNotSizeTheMap: a text repeating one key a
// million times (a hand-edited DLQ file) must not make a map, or a list of
// members, for every repetition; it decodes as json.Unmarshal decodes it,
// to one key.
func TestFlatObjectRepeatedKeysDoNotSizeTheMap(t *testing.T) {
	const n = 1_000_000
	s := "{" + strings.Repeat(`"a":1,`, n-1) + `"a":2}`
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, ok := flatObject(s)
	runtime.ReadMemStats(&after)
	if ok && (len(m) != 1 || string(m["a"]) != "2") {
		t.Fatalf("flatObject = %d keys, a=%s; want 1 key, a=2", len(m), m["a"])
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(len(s))+64<<10; got > limit {
		t.Errorf("decoding %d bytes holding 1 distinct key allocated %d bytes, want at most %d", len(s), got, limit)
	}
	d, err := decodeObject(s)
	if err != nil || len(d) != 1 || string(d["a"]) != "2" {
		t.Errorf("decodeObject = %d keys, a=%s, %v; want 1 key, a=2", len(d), d["a"], err)
	}
}
