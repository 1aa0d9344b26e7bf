package dml

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// scanSQL splits generated SQL into its skeleton, with every quoted
// identifier replaced by "I", and the identifiers themselves unquoted. It
// fails on a backtick that does not open or close a well-formed identifier,
// which is exactly what an injection through a name would need.
func scanSQL(sql string) (skeleton string, idents []string, err error) {
	var sk strings.Builder
	for i := 0; i < len(sql); i++ {
		if sql[i] != '`' {
			sk.WriteByte(sql[i])
			continue
		}
		var id strings.Builder
		closed := false
		for i++; i < len(sql); i++ {
			if sql[i] != '`' {
				id.WriteByte(sql[i])
				continue
			}
			if i+1 < len(sql) && sql[i+1] == '`' {
				id.WriteByte('`')
				i++
				continue
			}
			closed = true
			break
		}
		if !closed {
			return "", nil, fmt.Errorf("unterminated identifier in %q", sql)
		}
		sk.WriteString("I")
		idents = append(idents, id.String())
	}
	return sk.String(), idents, nil
}

func FuzzQuoteIdent(f *testing.F) {
	for _, s := range []string{"", "a", "`", "a`b", "``", "a\x00`", "é😀", "x`); DROP TABLE t; --"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		q := QuoteIdent(name)
		skeleton, idents, err := scanSQL(q)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(name, "\x00", "")
		if skeleton != "I" || len(idents) != 1 || idents[0] != want {
			t.Fatalf("QuoteIdent(%q) = %q parses as %q %q", name, q, skeleton, idents)
		}
		if strings.IndexByte(q, 0) >= 0 {
			t.Fatalf("QuoteIdent(%q) kept a NUL", name)
		}
	})
}

// FuzzUpsert builds statements from arbitrary names and checks the result
// against a skeleton computed independently: same shape, same names in the
// same places, one argument per placeholder.
func FuzzUpsert(f *testing.F) {
	f.Add("t", "id", "v", uint8(1), uint8(2))
	f.Add("a`b", "c``", "`", uint8(0), uint8(1))
	f.Add("t", "k", "K", uint8(2), uint8(1))
	f.Add("", "x\x00", "y", uint8(3), uint8(0))
	f.Fuzz(func(t *testing.T, table, c1, c2 string, keyMode, nRows uint8) {
		cols := []string{c1, c2}
		var keys []string
		switch keyMode % 3 {
		case 1:
			keys = []string{c1}
		case 2:
			keys = []string{c1, c2}
		}
		rows := make([][]any, nRows%4)
		for i := range rows {
			rows[i] = []any{i, nil}
		}
		st, err := Upsert(table, cols, keys, rows)
		if err != nil {
			return // refusing is fine; panicking or emitting bad SQL is not
		}
		skeleton, idents, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		update := "I=VALUES(I),I=VALUES(I)"
		wantIdents := []string{table, c1, c2, c1, c1, c2, c2}
		switch keyMode % 3 {
		case 1:
			update, wantIdents = "I=VALUES(I)", []string{table, c1, c2, c2, c2}
		case 2:
			update, wantIdents = "I=I", []string{table, c1, c2, c1, c1}
		}
		tuples := strings.TrimSuffix(strings.Repeat("(?,?),", len(rows)), ",")
		wantSkeleton := "INSERT INTO I (I,I) VALUES " + tuples + " ON DUPLICATE KEY UPDATE " + update
		if skeleton != wantSkeleton {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, wantSkeleton)
		}
		if !slices.Equal(idents, wantIdents) {
			t.Fatalf("identifiers %q, want %q", idents, wantIdents)
		}
		if n := strings.Count(skeleton, "?"); n != len(st.Args) {
			t.Fatalf("%d placeholders, %d args", n, len(st.Args))
		}
	})
}

func FuzzDelete(f *testing.F) {
	f.Add("t", "k1", "k2", uint8(2), uint8(1), uint8(0))
	f.Add("a`b", "`", "c", uint8(3), uint8(2), uint8(1))
	f.Add("t", "a", "b", uint8(3), uint8(0xff), uint8(2))
	// nullKind picks how a NULL is spelled: nil, a typed null (a
	// driver.Valuer of nil) or a nil pointer; each must become IS NULL.
	nulls := []any{nil, sql.NullInt64{}, (*int64)(nil)}
	f.Fuzz(func(t *testing.T, table, k1, k2 string, nRows, nullMask, nullKind uint8) {
		keys := make([][]any, nRows%4)
		var want strings.Builder
		var wantIdents []string
		placeholders := 0
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
					keys[i][j] = nulls[int(nullKind)%len(nulls)]
					want.WriteString("I IS NULL")
				} else {
					want.WriteString("I=?")
					placeholders++
				}
			}
			want.WriteString(")")
		}
		st, err := Delete(table, []string{k1, k2}, keys)
		if err != nil {
			return
		}
		skeleton, idents, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if wantSk := "DELETE FROM I WHERE " + want.String(); skeleton != wantSk {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, wantSk)
		}
		wantIdents = append([]string{table}, wantIdents...)
		if !slices.Equal(idents, wantIdents) {
			t.Fatalf("identifiers %q, want %q", idents, wantIdents)
		}
		if placeholders != len(st.Args) {
			t.Fatalf("%d placeholders, %d args", placeholders, len(st.Args))
		}
	})
}

// FuzzUpdate checks UPDATE statements built from arbitrary names and NULL
// patterns against an independently computed skeleton.
func FuzzUpdate(f *testing.F) {
	f.Add("t", "id", "v", uint8(1), uint8(0))
	f.Add("a`b", "c``", "`", uint8(2), uint8(3))
	f.Add("t", "k", "K", uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, table, c1, c2 string, keyMode, nullMask uint8) {
		cols := []string{c1, c2}
		keys := []string{c1}
		if keyMode%2 == 0 {
			keys = []string{c1, c2}
		}
		row := []any{1, 2}
		for i := range row {
			if nullMask&(1<<i) != 0 {
				row[i] = nil
			}
		}
		st, err := Update(table, cols, keys, row)
		if err != nil {
			return
		}
		skeleton, idents, err := scanSQL(st.SQL)
		if err != nil {
			t.Fatal(err)
		}
		cond := func(v any) string {
			if v == nil {
				return "I IS NULL"
			}
			return "I=?"
		}
		var want string
		var wantIdents []string
		if len(keys) == 1 {
			want = "UPDATE I SET I=? WHERE " + cond(row[0])
			wantIdents = []string{table, c2, c1}
		} else {
			want = "UPDATE I SET I=I WHERE " + cond(row[0]) + " AND " + cond(row[1])
			wantIdents = []string{table, c1, c1, c1, c2}
		}
		if skeleton != want {
			t.Fatalf("skeleton\n got %q\nwant %q", skeleton, want)
		}
		if !slices.Equal(idents, wantIdents) {
			t.Fatalf("identifiers %q, want %q", idents, wantIdents)
		}
		if n := strings.Count(skeleton, "?"); n != len(st.Args) {
			t.Fatalf("%d placeholders, %d args", n, len(st.Args))
		}
	})
}
