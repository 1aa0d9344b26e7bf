package keylock

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// The keys of a few rows, pinned: writers of different releases must
// compute the same key for the same row (see the package doc). A change
// here is a change of the protocol between writers, not a refactoring.
func TestHashIsPinned(t *testing.T) {
	for _, c := range []struct {
		ns, table string
		key       []any
		want      int32
	}{
		{"public", "Items", []any{"1"}, 1120391952},
		{"public", "Items", []any{"2"}, 1921431456},
		{"app", "My Table", []any{"1", []byte{0, 1}, nil}, -1845091683},
		{"", "", nil, 2062373653},
	} {
		if got := Hash(c.ns, c.table, c.key); got != c.want {
			t.Errorf("Hash(%q, %q, %v) = %d, want %d", c.ns, c.table, c.key, got, c.want)
		}
	}
}

// Rows that differ anywhere (namespace, table, a key value, its type,
// where the strings split) encode differently: they can share a key only
// by a collision of the hash.
func TestEncodingTellsRowsApart(t *testing.T) {
	rows := []struct {
		ns, table string
		key       []any
	}{
		{"public", "Items", []any{"1"}},
		{"public", "Items", []any{"2"}},
		{"public", "Items", []any{"1", "2"}},
		{"public", "Items", []any{"12"}},
		{"public", "Items", []any{"1", nil}},
		{"public", "Items", []any{nil, "1"}},
		{"public", "Items", []any{""}},
		{"public", "Items", []any{nil}},
		{"public", "Items", []any{[]byte("1")}},
		{"public", "Items", []any{int64(1)}},
		{"public", "Items", []any{int32(1)}},
		{"public", "Items", nil},
		{"public", "Items1", nil},
		{"public", "Other", []any{"1"}},
		{"app", "Items", []any{"1"}},
		{"publicItems", "", []any{"1"}},
		{"", "publicItems", []any{"1"}},
	}
	seen := map[string]int{}
	for i, r := range rows {
		e := string(encode(r.ns, r.table, r.key))
		if j, ok := seen[e]; ok {
			t.Errorf("rows %d and %d encode alike: %q", j, i, e)
		}
		seen[e] = i
		if Hash(r.ns, r.table, r.key) != Hash(r.ns, r.table, slices.Clone(r.key)) {
			t.Errorf("row %d: Hash is not a function of the values", i)
		}
	}
}

func TestKeysAreDistinctAscendingAndSkipFilteredRows(t *testing.T) {
	row := func(table, id string) mapping.Row { return mapping.Row{Table: table, KeyValues: []any{id}} }
	var rows []mapping.Row
	for i := range 200 {
		rows = append(rows, row("Items", fmt.Sprint(199-i)))
	}
	rows = append(rows, row("Items", "5"), mapping.Row{Table: "Items", Delete: true, KeyValues: []any{"7"}})
	filtered := mapping.Row{Table: "Filtered", Filtered: true, KeyValues: []any{"1"}}
	got := Keys("public", append(rows, filtered))
	if !slices.IsSorted(got) {
		t.Errorf("keys not ascending: %v", got)
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("keys repeat: %v", got)
	}
	want := map[int32]bool{}
	for _, r := range rows {
		want[Hash("public", r.Table, r.KeyValues)] = true
	}
	if len(got) != len(want) {
		t.Errorf("%d keys, want %d", len(got), len(want))
	}
	for _, k := range got {
		if !want[k] {
			t.Errorf("key %d is of no row written (the filtered row's?)", k)
		}
	}
}

// No two distinct rows of string and bytea key values encode alike.
func FuzzEncodingIsInjective(f *testing.F) {
	f.Add("public", "Items", "1", "2", false, "public", "Items", "12", "", true)
	f.Add("a", "b", "", "", true, "a", "b", "", "", false)
	f.Fuzz(func(t *testing.T, ns1, t1, a1, b1 string, bytes1 bool, ns2, t2, a2, b2 string, bytes2 bool) {
		key := func(a, b string, asBytes bool) []any {
			if asBytes {
				return []any{a, []byte(b)}
			}
			return []any{a, b}
		}
		k1, k2 := key(a1, b1, bytes1), key(a2, b2, bytes2)
		same := ns1 == ns2 && t1 == t2 && a1 == a2 && b1 == b2 && bytes1 == bytes2
		if e1, e2 := encode(ns1, t1, k1), encode(ns2, t2, k2); bytes.Equal(e1, e2) != same {
			t.Errorf("(%q %q %v) and (%q %q %v): equal encodings %v, equal rows %v", ns1, t1, k1, ns2, t2, k2, bytes.Equal(e1, e2), same)
		}
	})
}

// A row's LockKey, when set, is what names it: an upsert and a delete of
// a row whose key the target partly generates carry different KeyValues
// (mapping.Row), and must lock the same key.
func TestKeysHashTheLockKey(t *testing.T) {
	up := mapping.Row{Table: "T", KeyColumns: []string{"a"}, KeyValues: []any{"x"}, LockKey: []any{"x"}}
	del := mapping.Row{Table: "T", Delete: true, KeyColumns: []string{"a", "b"}, KeyValues: []any{"x", "y"}, LockKey: []any{"x"}}
	plain := mapping.Row{Table: "T", KeyColumns: []string{"a"}, KeyValues: []any{"x"}}
	got, want := Keys("ns", []mapping.Row{del}), Keys("ns", []mapping.Row{up})
	if !slices.Equal(got, want) || !slices.Equal(want, Keys("ns", []mapping.Row{plain})) {
		t.Errorf("the delete locks %v, the upsert %v, a row of the same KeyValues %v: want one key", got, want, Keys("ns", []mapping.Row{plain}))
	}
}
