package dml

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// scanSQL splits generated SQL into its skeleton, with every quoted
// identifier replaced by "I" and every placeholder $n by "?", the
// identifiers unquoted and the placeholder numbers. It fails on a quote
// that does not open or close a well-formed identifier, which is exactly
// what an injection through a name would need.
func scanSQL(sql string) (skeleton string, idents []string, nums []int, err error) {
	var sk strings.Builder
	for i := 0; i < len(sql); i++ {
		switch sql[i] {
		case '$':
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(sql[i+1 : j])
			if err != nil {
				return "", nil, nil, fmt.Errorf("bad placeholder in %q", sql)
			}
			nums = append(nums, n)
			sk.WriteByte('?')
			i = j - 1
		case '"':
			var id strings.Builder
			closed := false
			for i++; i < len(sql); i++ {
				if sql[i] != '"' {
					id.WriteByte(sql[i])
					continue
				}
				if i+1 < len(sql) && sql[i+1] == '"' {
					id.WriteByte('"')
					i++
					continue
				}
				closed = true
				break
			}
			if !closed {
				return "", nil, nil, fmt.Errorf("unterminated identifier in %q", sql)
			}
			sk.WriteString("I")
			idents = append(idents, id.String())
		default:
			sk.WriteByte(sql[i])
		}
	}
	return sk.String(), idents, nums, nil
}

// checkPlaceholders wants $1..$n in order, one per argument.
func checkPlaceholders(t *testing.T, nums []int, args int) {
	t.Helper()
	if len(nums) != args {
		t.Fatalf("%d placeholders, %d args", len(nums), args)
	}
	for i, n := range nums {
		if n != i+1 {
			t.Fatalf("placeholder %d is $%d", i, n)
		}
	}
}

func FuzzQuoteIdent(f *testing.F) {
	for _, s := range []string{"t", `a"b`, `"`, "", "a\x00b", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		sk, idents, _, err := scanSQL(QuoteIdent(name))
		if err != nil {
			t.Fatal(err)
		}
		if sk != "I" || len(idents) != 1 || idents[0] != strings.ReplaceAll(name, "\x00", "") {
			t.Fatalf("QuoteIdent(%q) scans as %q %q", name, sk, idents)
		}
	})
}

// FuzzUpsert builds statements from arbitrary names and checks the result
// against a skeleton computed independently: same shape, same names in the
// same places, $1..$n, one argument per placeholder.
func FuzzUpsert(f *testing.F) {
	f.Add("public", "t", "id", "v", uint8(1), uint8(2))
	f.Add(`s"`, `a"b`, `c""`, `"`, uint8(0), uint8(1))
	f.Add("public", "t", "k", "K", uint8(2), uint8(1))
	f.Add("", "t", "x\x00", "y", uint8(3), uint8(0))
	f.Fuzz(func(t *testing.T, ns, table, c1, c2 string, keyMode, nRows uint8) {
		cols := []string{c1, c2}
		keys := []string{c1}
		if keyMode%2 == 1 {
			keys = []string{c1, c2}
		}
		rows := make([][]any, nRows%4)
		for i := range rows {
			rows[i] = []any{i, nil}
		}
		st, err := Upsert(ns, table, cols, keys, rows)
		if err != nil {
			return // refusing is fine; panicking or emitting bad SQL is not
		}
		skeleton, idents, nums, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		tuples := strings.TrimSuffix(strings.Repeat("(?,?),", len(rows)), ",")
		want := "INSERT INTO I.I (I,I) OVERRIDING SYSTEM VALUE VALUES " + tuples + " ON CONFLICT (I) DO UPDATE SET I=EXCLUDED.I"
		wantIdents := []string{ns, table, c1, c2, c1, c2, c2}
		if len(keys) == 2 {
			want = "INSERT INTO I.I (I,I) OVERRIDING SYSTEM VALUE VALUES " + tuples + " ON CONFLICT (I,I) DO NOTHING"
			wantIdents = []string{ns, table, c1, c2, c1, c2}
		}
		if skeleton != want {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, want)
		}
		if !slices.Equal(idents, wantIdents) {
			t.Fatalf("identifiers %q, want %q", idents, wantIdents)
		}
		checkPlaceholders(t, nums, len(st.Args))
	})
}

func FuzzDelete(f *testing.F) {
	f.Add("public", "t", "k1", "k2", uint8(2), uint8(1))
	f.Add(`"`, `a"b`, `"`, "c", uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, ns, table, k1, k2 string, nRows, nullMask uint8) {
		keys := make([][]any, nRows%4)
		var want strings.Builder
		wantIdents := []string{ns, table}
		for i := range keys {
			keys[i] = []any{i, i}
			if i > 0 {
				want.WriteString(" OR ")
			}
			want.WriteString("(")
			for j, k := range []string{k1, k2} {
				if j > 0 {
					want.WriteString(" AND ")
				}
				wantIdents = append(wantIdents, k)
				if nullMask&(1<<(2*i+j)) != 0 {
					keys[i][j] = nil
					want.WriteString("I IS NULL")
				} else {
					want.WriteString("I=?")
				}
			}
			want.WriteString(")")
		}
		st, err := Delete(ns, table, []string{k1, k2}, keys)
		if err != nil {
			return
		}
		skeleton, idents, nums, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if w := "DELETE FROM I.I WHERE " + want.String(); skeleton != w {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, w)
		}
		if !slices.Equal(idents, wantIdents) {
			t.Fatalf("identifiers %q, want %q", idents, wantIdents)
		}
		checkPlaceholders(t, nums, len(st.Args))
	})
}

func FuzzUpdate(f *testing.F) {
	f.Add("public", "t", "id", "v", uint8(0))
	f.Add(`"`, `a"b`, `c""`, `"`, uint8(1))
	f.Fuzz(func(t *testing.T, ns, table, c1, c2 string, nullMask uint8) {
		row := []any{1, 2}
		if nullMask&1 != 0 {
			row[0] = nil
		}
		st, err := Update(ns, table, []string{c1, c2}, []string{c1}, row)
		if err != nil {
			return
		}
		skeleton, idents, nums, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		cond := "I=?"
		if row[0] == nil {
			cond = "I IS NULL"
		}
		if w := "UPDATE I.I SET I=? WHERE " + cond; skeleton != w {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, w)
		}
		if w := []string{ns, table, c2, c1}; !slices.Equal(idents, w) {
			t.Fatalf("identifiers %q, want %q", idents, w)
		}
		checkPlaceholders(t, nums, len(st.Args))
	})
}
