package dml

import (
	"slices"
	"testing"
)

func FuzzLockRowText(f *testing.F) {
	f.Add("public", "t", "id", "k2")
	f.Add(`"`, `a"b`, `revrepl_old`, `"`)
	f.Fuzz(func(t *testing.T, ns, table, k1, k2 string) {
		q, err := LockRowText(ns, table, []string{k1, k2})
		if err != nil {
			return
		}
		skeleton, idents, nums, err := scanSQL(q)
		if err != nil {
			t.Fatal(err)
		}
		if w := "SELECT (I.*)::text FROM I.I AS I WHERE I.I=? AND I.I=? FOR UPDATE"; skeleton != w {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, w)
		}
		a := "revrepl_old"
		if w := []string{a, ns, table, a, a, k1, a, k2}; !slices.Equal(idents, w) {
			t.Fatalf("identifiers %q, want %q", idents, w)
		}
		checkPlaceholders(t, nums, 2)
	})
}

func FuzzInsertKeeping(f *testing.F) {
	f.Add("public", "t", "id", "v", "note", "extra")
	f.Add(`"`, `a"b`, `c""`, `"`, `$1`, `)`)
	f.Fuzz(func(t *testing.T, ns, table, c1, c2, k1, k2 string) {
		st, err := InsertKeeping(ns, table, []string{c1, c2}, []any{1, nil}, []string{k1, k2}, "(1,x)")
		if err != nil {
			return
		}
		skeleton, idents, nums, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if w := "INSERT INTO I.I (I,I,I,I) OVERRIDING SYSTEM VALUE VALUES (?,?,(?::I.I).I,(?::I.I).I)"; skeleton != w {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, w)
		}
		if w := []string{ns, table, c1, c2, k1, k2, ns, table, k1, ns, table, k2}; !slices.Equal(idents, w) {
			t.Fatalf("identifiers %q, want %q", idents, w)
		}
		if !slices.Equal(nums, []int{1, 2, 3, 3}) || len(st.Args) != 3 || st.Args[2] != "(1,x)" {
			t.Fatalf("placeholders %v, args %v", nums, st.Args)
		}
	})
}

func TestInsertKeepingWithoutKeptColumns(t *testing.T) {
	st, err := InsertKeeping("ns", "t", []string{"a"}, []any{1}, nil, "(1)")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Insert("ns", "t", []string{"a"}, [][]any{{1}})
	if st.SQL != want.SQL || len(st.Args) != 1 {
		t.Errorf("got %q %v, want %q", st.SQL, st.Args, want.SQL)
	}
	if _, err := InsertKeeping("ns", "t", []string{"a"}, []any{1}, []string{"a"}, "(1)"); err == nil {
		t.Error("a column both written and kept was accepted")
	}
}
