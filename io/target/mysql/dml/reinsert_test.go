package dml

import (
	"slices"
	"testing"
)

func TestReinsertStatements(t *testing.T) {
	q, err := LockRow("t", []string{"a", "b"})
	if want := "SELECT COUNT(*) FROM `t` WHERE `a`=? AND `b`=? FOR UPDATE"; err != nil || q != want {
		t.Errorf("LockRow = %q (%v), want %q", q, err, want)
	}
	q, err = KeepInto("t", []string{"n", "m"}, []string{"a"}, 3)
	if want := "SELECT `n`,`m` INTO @revrepl_keep_3_0,@revrepl_keep_3_1 FROM `t` WHERE `a`=?"; err != nil || q != want {
		t.Errorf("KeepInto = %q (%v), want %q", q, err, want)
	}
	st, err := InsertKeeping("t", []string{"a", "b"}, []any{1, nil}, []string{"n"}, 2)
	if want := "INSERT INTO `t` (`a`,`b`,`n`) VALUES (?,?,@revrepl_keep_2_0)"; err != nil || st.SQL != want || !slices.Equal(st.Args, []any{1, nil}) {
		t.Errorf("InsertKeeping = %q %v (%v), want %q", st.SQL, st.Args, err, want)
	}
	st, err = InsertKeeping("t", []string{"a"}, []any{1}, nil, 0)
	if want := "INSERT INTO `t` (`a`) VALUES (?)"; err != nil || st.SQL != want {
		t.Errorf("InsertKeeping without kept columns = %q (%v), want %q", st.SQL, err, want)
	}
	if _, err := InsertKeeping("t", []string{"a"}, []any{1}, []string{"A"}, 0); err == nil {
		t.Error("a column both written and kept was accepted")
	}
	if _, err := KeepInto("t", nil, []string{"a"}, 0); err == nil {
		t.Error("KeepInto without columns was accepted")
	}
}

// FuzzInsertKeeping: identifiers stay quoted, the placeholders are the
// written values and the kept columns read the row's variables.
func FuzzInsertKeeping(f *testing.F) {
	f.Add("t", "a", "b", "n", 0)
	f.Add("`", "a`b", "?", "@x", 7)
	f.Fuzz(func(t *testing.T, table, c1, c2, k1 string, row int) {
		if row < 0 {
			row = -row
		}
		st, err := InsertKeeping(table, []string{c1, c2}, []any{1, 2}, []string{k1}, row)
		if err != nil {
			return
		}
		skeleton, idents, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if w := "INSERT INTO I (I,I,I) VALUES (?,?," + KeptVar(row, 0) + ")"; skeleton != w {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, w)
		}
		if w := []string{table, c1, c2, k1}; !slices.Equal(idents, w) {
			t.Fatalf("identifiers %q, want %q", idents, w)
		}
		if len(st.Args) != 2 {
			t.Fatalf("args %v", st.Args)
		}
	})
}
