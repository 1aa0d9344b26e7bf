package verify

import (
	"reflect"
	"testing"
	"time"
)

func row(kv ...string) *Row {
	r := &Row{}
	for i := 0; i < len(kv); i += 2 {
		r.Columns = append(r.Columns, kv[i])
		if kv[i+1] == "<null>" {
			r.Values = append(r.Values, Null)
		} else {
			r.Values = append(r.Values, Text(kv[i+1]))
		}
	}
	return r
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name      string
		want, got *Row
		outcome   Outcome
		diffs     []Diff
	}{
		{"both absent", nil, nil, Equal, nil},
		{"equal", row("id", "1", "name", "a"), row("id", "1", "name", "a"), Equal, nil},
		{"names compare case-insensitively", row("id", "1", "Name", "a"), row("ID", "1", "name", "a"), Equal, nil},
		{"target columns the writer does not write are ignored", row("id", "1"), row("id", "1", "extra", "x"), Equal, nil},
		{"missing in the target", row("id", "1"), nil, Missing, nil},
		{"extra in the target", nil, row("id", "1"), Extra, nil},
		{"value differs", row("id", "1", "name", "a"), row("id", "1", "name", "b"), Different,
			[]Diff{{Column: "name", Spanner: Text("a"), Target: Text("b")}}},
		{"NULL against empty text", row("id", "1", "name", "<null>"), row("id", "1", "name", ""), Different,
			[]Diff{{Column: "name", Spanner: Null, Target: Text("")}}},
		{"both NULL", row("id", "1", "name", "<null>"), row("id", "1", "name", "<null>"), Equal, nil},
		{"written column missing from the target", row("id", "1", "gone", "x"), row("id", "1"), Different,
			[]Diff{{Column: "gone", Spanner: Text("x"), Target: Null}}},
		{"several columns differ, in the written order", row("id", "1", "b", "1", "a", "2"), row("id", "1", "a", "3", "b", "4"), Different,
			[]Diff{{Column: "b", Spanner: Text("1"), Target: Text("4")}, {Column: "a", Spanner: Text("2"), Target: Text("3")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, d := Compare(tt.want, tt.got)
			if o != tt.outcome || !reflect.DeepEqual(d, tt.diffs) {
				t.Errorf("Compare = %s %v, want %s %v", o, d, tt.outcome, tt.diffs)
			}
		})
	}
}

func TestSettle(t *testing.T) {
	tests := []struct {
		o                            Outcome
		shadowAfter, watermarkBefore bool
		want                         Outcome
	}{
		{Equal, true, true, Equal},
		{Missing, false, false, Missing},
		{Extra, false, false, Extra},
		{Different, false, false, Different},
		{Missing, true, false, InFlight},
		{Extra, false, true, InFlight},
		{Different, true, true, InFlight},
	}
	for _, tt := range tests {
		if got := Settle(tt.o, tt.shadowAfter, tt.watermarkBefore); got != tt.want {
			t.Errorf("Settle(%s, %v, %v) = %s, want %s", tt.o, tt.shadowAfter, tt.watermarkBefore, got, tt.want)
		}
	}
}

func TestKeyRoundTrip(t *testing.T) {
	keys := []Key{
		{Shard: "s1", Table: "t", PK: []Value{Text("1")}},
		{Shard: "s\"1", Table: "t,x", PK: []Value{Null, Text(""), Text("null")}},
		{Shard: "", Table: "t", PK: nil},
	}
	seen := map[string]bool{}
	for _, k := range keys {
		s := k.String()
		if seen[s] {
			t.Errorf("%v: string %s not unique", k, s)
		}
		seen[s] = true
		back, err := ParseKey(s)
		if err != nil {
			t.Fatalf("ParseKey(%s): %v", s, err)
		}
		if back.String() != s || len(back.PK) != len(k.PK) {
			t.Errorf("ParseKey(%s) = %v, want %v", s, back, k)
		}
		for i := range k.PK {
			if back.PK[i] != k.PK[i] {
				t.Errorf("PK[%d] = %v, want %v", i, back.PK[i], k.PK[i])
			}
		}
	}
	// NULL and the text "null" must not collide.
	a := Key{Table: "t", PK: []Value{Null}}.String()
	b := Key{Table: "t", PK: []Value{Text("null")}}.String()
	if a == b {
		t.Errorf("NULL and \"null\" keys collide: %s", a)
	}
	if _, err := ParseKey("nope"); err == nil {
		t.Error("ParseKey(nope) succeeded")
	}
}

func TestKeyOf(t *testing.T) {
	k, ok := KeyOf("s", "t", []string{"b", "a"}, *row("a", "1", "B", "2"))
	if !ok || k.String() != (Key{Shard: "s", Table: "t", PK: []Value{Text("2"), Text("1")}}).String() {
		t.Errorf("KeyOf = %v %v", k, ok)
	}
	if _, ok := KeyOf("s", "t", []string{"c"}, *row("a", "1")); ok {
		t.Error("KeyOf found a missing key column")
	}
}

func TestSummarize(t *testing.T) {
	counts := map[Count]int64{
		{Table: "b", Shard: "s1", Kind: string(Equal)}:     5,
		{Table: "a", Shard: "s2", Kind: string(Missing)}:   1,
		{Table: "a", Shard: "s2", Kind: string(Extra)}:     2,
		{Table: "a", Shard: "s1", Kind: string(Different)}: 3,
		{Table: "a", Shard: "s1", Kind: string(InFlight)}:  4,
		{Table: "a", Shard: "s1", Kind: Filtered}:          6,
		{Table: "a", Shard: "s1", Kind: Unmappable}:        1,
		{Table: "a", Shard: "s1", Kind: string(Ambiguous)}: 2,
		{Table: "x", Shard: "", Kind: SkippedTable}:        1,
	}
	lines, n := Summarize(counts)
	if n != 9 {
		t.Errorf("mismatches = %d, want 9 (missing, extra, different, unmappable, ambiguous)", n)
	}
	var order []string
	for _, l := range lines {
		order = append(order, l.Table+"/"+l.Shard)
	}
	if want := []string{"a/s1", "a/s2", "b/s1", "x/"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if got := lines[0].Counts[string(InFlight)]; got != 4 {
		t.Errorf("a/s1 in flight = %d, want 4", got)
	}
	if FinalLine(n) != "mismatches: 9" {
		t.Errorf("FinalLine = %q", FinalLine(n))
	}
	c := Count{Table: "t", Shard: "s", Kind: Filtered}
	if back, err := ParseCount(c.String()); err != nil || back != c {
		t.Errorf("ParseCount(%s) = %v, %v", c, back, err)
	}
}

func TestMismatchLine(t *testing.T) {
	m := Mismatch{Shard: "s", Table: "t", Key: []Value{Text("1"), Null}, Outcome: Different,
		Columns: []Diff{{Column: "c", Spanner: Text("a"), Target: Null}}}
	want := `{"shard":"s","table":"t","key":["1",null],"outcome":"different","columns":[{"column":"c","spanner":"a","target":null}]}`
	if got := string(m.Line()); got != want {
		t.Errorf("Line =\n%s\nwant\n%s", got, want)
	}
}

// FuzzParseKey: any text either fails or parses to a key that prints back
// as a key parsing to the same key.
func FuzzParseKey(f *testing.F) {
	f.Add(Key{Shard: "s", Table: "t", PK: []Value{Text("1"), Null}}.String())
	f.Add(`["a","b",[null]]`)
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		back, err := ParseKey(k.String())
		if err != nil || back.String() != k.String() {
			t.Errorf("ParseKey(%q) = %v; reparsed %v, %v", s, k, back, err)
		}
	})
}

func TestSpannerKeysJSON(t *testing.T) {
	tests := []struct {
		parts []KeyPart
		want  string
		fails bool
	}{
		{[]KeyPart{{"id", "INT64", Text("42")}, {"name", "STRING(10)", Text("a\"b")}}, `{"id":"42","name":"a\"b"}`, false},
		{[]KeyPart{{"d", "DATE", Text("2024-01-02")}, {"b", "BOOL", Text("1")}}, `{"b":true,"d":"2024-01-02"}`, false},
		{[]KeyPart{{"x", "BYTES(MAX)", Text("ff00")}}, `{"x":"/wA="}`, false},
		{[]KeyPart{{"n", "bigint", Null}}, `{"n":null}`, false},
		{[]KeyPart{{"ts", "TIMESTAMP", Text("2024-01-02 03:04:05.25")}}, `{"ts":"2024-01-02T01:04:05.25Z"}`, false},
		{[]KeyPart{{"ts", "timestamp with time zone", Text("2024-01-02 03:04:05+00")}}, `{"ts":"2024-01-02T03:04:05Z"}`, false},
		{[]KeyPart{{"ts", "TIMESTAMP", Text("2024-01-02 03:04:05.5-03:30")}}, `{"ts":"2024-01-02T06:34:05.5Z"}`, false},
		{[]KeyPart{{"ts", "TIMESTAMP", Text("2024-01-02")}}, "", true},
		{[]KeyPart{{"ts", "TIMESTAMP", Text("10:00:00")}}, "", true},
		{[]KeyPart{{"b", "BOOL", Text("yes")}}, "", true},
	}
	for _, tt := range tests {
		got, _, err := SpannerKeysJSON(tt.parts, time.FixedZone("+02:00", 7200))
		if (err != nil) != tt.fails || got != tt.want {
			t.Errorf("SpannerKeysJSON(%v) = %s, %v; want %s (fails %v)", tt.parts, got, err, tt.want, tt.fails)
		}
	}
	// A target keeps microseconds at most of a TIMESTAMP: such a key is
	// for looking up, not exact.
	if _, exact, _ := SpannerKeysJSON([]KeyPart{{"id", "INT64", Text("1")}, {"ts", "TIMESTAMP", Text("2024-01-02 03:04:05+00")}}, nil); exact {
		t.Error("a key with a TIMESTAMP rebuilt as exact")
	}
	if _, exact, _ := SpannerKeysJSON([]KeyPart{{"id", "INT64", Text("1")}, {"n", "STRING(5)", Null}}, nil); !exact {
		t.Error("an INT64 and STRING key rebuilt as not exact")
	}
}

func TestValueJSONRoundTrip(t *testing.T) {
	for _, v := range []Value{Null, Text(""), Text("null"), Text("a\"b")} {
		b, err := v.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Value
		if err := back.UnmarshalJSON(b); err != nil || back != v {
			t.Errorf("%v -> %s -> %v, %v", v, b, back, err)
		}
	}
}
