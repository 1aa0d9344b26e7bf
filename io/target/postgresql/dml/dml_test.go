package dml

import (
	"database/sql"
	"reflect"
	"strings"
	"testing"
)

func TestQuoteIdent(t *testing.T) {
	cases := []struct{ in, want string }{
		{"users", `"users"`},
		{"My Table", `"My Table"`},
		{`a"b`, `"a""b"`},
		{`""`, `""""""`},
		{"a\x00b", `"ab"`},
		{"é😀", `"é😀"`},
		{`x"; DROP TABLE t; --`, `"x""; DROP TABLE t; --"`},
	}
	for _, c := range cases {
		if got := QuoteIdent(c.in); got != c.want {
			t.Errorf("QuoteIdent(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUpsert(t *testing.T) {
	cases := []struct {
		name, ns, table string
		cols, keys      []string
		rows            [][]any
		wantSQL         string
		args            []any
	}{
		{
			name: "one row", ns: "public", table: "t", cols: []string{"id", "name", "age"}, keys: []string{"id"},
			rows:    [][]any{{"1", "a", nil}},
			wantSQL: `INSERT INTO "public"."t" ("id","name","age") OVERRIDING SYSTEM VALUE VALUES ($1,$2,$3) ON CONFLICT ("id") DO UPDATE SET "name"=EXCLUDED."name","age"=EXCLUDED."age"`,
			args:    []any{"1", "a", nil},
		},
		{
			name: "two rows, composite key in the middle", ns: "app", table: "orders", cols: []string{"a", "k1", "k2", "b"}, keys: []string{"k1", "k2"},
			rows:    [][]any{{1, 2, 3, 4}, {5, 6, 7, 8}},
			wantSQL: `INSERT INTO "app"."orders" ("a","k1","k2","b") OVERRIDING SYSTEM VALUE VALUES ($1,$2,$3,$4),($5,$6,$7,$8) ON CONFLICT ("k1","k2") DO UPDATE SET "a"=EXCLUDED."a","b"=EXCLUDED."b"`,
			args:    []any{1, 2, 3, 4, 5, 6, 7, 8},
		},
		{
			name: "all key columns: do nothing", ns: "public", table: "resource_access", cols: []string{"user_id", "group_id"},
			keys:    []string{"user_id", "group_id"},
			rows:    [][]any{{101, 5}},
			wantSQL: `INSERT INTO "public"."resource_access" ("user_id","group_id") OVERRIDING SYSTEM VALUE VALUES ($1,$2) ON CONFLICT ("user_id","group_id") DO NOTHING`,
			args:    []any{101, 5},
		},
		{
			name: "case matters", ns: "public", table: "T", cols: []string{"ID", "id"}, keys: []string{"ID"},
			rows:    [][]any{{1, 2}},
			wantSQL: `INSERT INTO "public"."T" ("ID","id") OVERRIDING SYSTEM VALUE VALUES ($1,$2) ON CONFLICT ("ID") DO UPDATE SET "id"=EXCLUDED."id"`,
			args:    []any{1, 2},
		},
		{
			name: "hostile names are quoted", ns: `s"x`, table: `we"ird`, cols: []string{"id", `x"); DROP TABLE t; --`}, keys: []string{"id"},
			rows:    [][]any{{1, "'; DROP TABLE t; --"}},
			wantSQL: `INSERT INTO "s""x"."we""ird" ("id","x""); DROP TABLE t; --") OVERRIDING SYSTEM VALUE VALUES ($1,$2) ON CONFLICT ("id") DO UPDATE SET "x""); DROP TABLE t; --"=EXCLUDED."x""); DROP TABLE t; --"`,
			args:    []any{1, "'; DROP TABLE t; --"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := Upsert(c.ns, c.table, c.cols, c.keys, c.rows)
			if err != nil {
				t.Fatal(err)
			}
			if st.SQL != c.wantSQL {
				t.Errorf("SQL\n got %s\nwant %s", st.SQL, c.wantSQL)
			}
			if !reflect.DeepEqual(st.Args, c.args) {
				t.Errorf("args got %#v want %#v", st.Args, c.args)
			}
		})
	}
}

func TestUpsertErrors(t *testing.T) {
	big := make([][]any, MaxParams/2+1)
	for i := range big {
		big[i] = []any{1, 2}
	}
	cases := []struct {
		name, ns, table, wantErr string
		cols, keys               []string
		rows                     [][]any
	}{
		{"empty namespace", "", "t", "empty namespace", []string{"a"}, []string{"a"}, [][]any{{1}}},
		{"empty table", "public", "", "empty table", []string{"a"}, []string{"a"}, [][]any{{1}}},
		{"NUL in table", "public", "t\x00", "NUL", []string{"a"}, []string{"a"}, [][]any{{1}}},
		{"no columns", "public", "t", "no insert columns", nil, []string{"a"}, [][]any{{}}},
		{"no key", "public", "t", "no key columns", []string{"a"}, nil, [][]any{{1}}},
		{"duplicate column", "public", "t", "duplicate", []string{"a", "a"}, []string{"a"}, [][]any{{1, 2}}},
		{"unknown key", "public", "t", "not among", []string{"a"}, []string{"b"}, [][]any{{1}}},
		{"key differs in case", "public", "t", "not among", []string{"a"}, []string{"A"}, [][]any{{1}}},
		{"no rows", "public", "t", "no rows", []string{"a"}, []string{"a"}, nil},
		{"short row", "public", "t", "row 1 has 1 values", []string{"a", "b"}, []string{"a"}, [][]any{{1, 2}, {1}}},
		{"too many parameters", "public", "t", "split the batch", []string{"a", "b"}, []string{"a"}, big},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Upsert(c.ns, c.table, c.cols, c.keys, c.rows)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	cases := []struct {
		name    string
		keys    []string
		values  [][]any
		wantSQL string
		args    []any
	}{
		{"single key", []string{"id"}, [][]any{{int64(7)}}, `DELETE FROM "public"."t" WHERE ("id"=$1)`, []any{int64(7)}},
		{"composite keys, several rows", []string{"k1", "k2"}, [][]any{{1, "a"}, {2, "b"}},
			`DELETE FROM "public"."t" WHERE ("k1"=$1 AND "k2"=$2) OR ("k1"=$3 AND "k2"=$4)`, []any{1, "a", 2, "b"}},
		{"NULL key values", []string{"k1", "k2"}, [][]any{{nil, "a"}, {1, nil}},
			`DELETE FROM "public"."t" WHERE ("k1" IS NULL AND "k2"=$1) OR ("k1"=$2 AND "k2" IS NULL)`, []any{"a", 1}},
		{"typed NULLs", []string{"k1", "k2"}, [][]any{{sql.NullInt64{}, (*string)(nil)}},
			`DELETE FROM "public"."t" WHERE ("k1" IS NULL AND "k2" IS NULL)`, []any{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := Delete("public", "t", c.keys, c.values)
			if err != nil {
				t.Fatal(err)
			}
			if st.SQL != c.wantSQL || !reflect.DeepEqual(st.Args, c.args) {
				t.Errorf("got %s %#v\nwant %s %#v", st.SQL, st.Args, c.wantSQL, c.args)
			}
		})
	}
	for _, bad := range []struct {
		keys    []string
		values  [][]any
		wantErr string
	}{
		{nil, [][]any{{1}}, "no key columns"},
		{[]string{"id"}, nil, "no rows"},
		{[]string{"id"}, [][]any{{1, 2}}, "key 0 has 2 values"},
		{[]string{"id", "id"}, [][]any{{1, 2}}, "duplicate"},
	} {
		if _, err := Delete("public", "t", bad.keys, bad.values); err == nil || !strings.Contains(err.Error(), bad.wantErr) {
			t.Errorf("Delete(%v, %v) = %v, want %q", bad.keys, bad.values, err, bad.wantErr)
		}
	}
}

func TestInsertAndUpdate(t *testing.T) {
	cases := []struct {
		name              string
		cols, keys        []string
		row               []any
		insertSQL, update string
		updateArgs        []any
	}{
		{"non-key columns set, keys matched", []string{"id", "email", "name"}, []string{"id"}, []any{"2", "a", "Bob"},
			`INSERT INTO "public"."t" ("id","email","name") OVERRIDING SYSTEM VALUE VALUES ($1,$2,$3)`,
			`UPDATE "public"."t" SET "email"=$1,"name"=$2 WHERE "id"=$3`, []any{"a", "Bob", "2"}},
		{"NULL key part", []string{"k1", "v", "k2"}, []string{"k1", "k2"}, []any{1, "x", nil},
			`INSERT INTO "public"."t" ("k1","v","k2") OVERRIDING SYSTEM VALUE VALUES ($1,$2,$3)`,
			`UPDATE "public"."t" SET "v"=$1 WHERE "k1"=$2 AND "k2" IS NULL`, []any{"x", 1}},
		{"only key columns: self-assignment", []string{"a", "b"}, []string{"a", "b"}, []any{1, 2},
			`INSERT INTO "public"."t" ("a","b") OVERRIDING SYSTEM VALUE VALUES ($1,$2)`,
			`UPDATE "public"."t" SET "a"="a" WHERE "a"=$1 AND "b"=$2`, []any{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ins, err := Insert("public", "t", c.cols, [][]any{c.row})
			if err != nil {
				t.Fatal(err)
			}
			if ins.SQL != c.insertSQL || !reflect.DeepEqual(ins.Args, c.row) {
				t.Errorf("insert: got %s %v, want %s %v", ins.SQL, ins.Args, c.insertSQL, c.row)
			}
			up, err := Update("public", "t", c.cols, c.keys, c.row)
			if err != nil {
				t.Fatal(err)
			}
			if up.SQL != c.update || !reflect.DeepEqual(up.Args, c.updateArgs) {
				t.Errorf("update: got %s %#v, want %s %#v", up.SQL, up.Args, c.update, c.updateArgs)
			}
		})
	}
	if _, err := Update("public", "t", []string{"a"}, nil, []any{1}); err == nil {
		t.Error("an UPDATE without key columns was built")
	}
}
