package dml

import (
	"database/sql"
	"reflect"
	"strings"
	"testing"
)

func TestQuoteIdent(t *testing.T) {
	cases := []struct{ in, want string }{
		{"users", "`users`"},
		{"my table", "`my table`"},
		{"a`b", "`a``b`"},
		{"``", "``````"},
		{"a\x00b", "`ab`"},
		{"", "``"},
		{"é😀", "`é😀`"},
		{"x'; DROP TABLE t; --", "`x'; DROP TABLE t; --`"},
	}
	for _, c := range cases {
		if got := QuoteIdent(c.in); got != c.want {
			t.Errorf("QuoteIdent(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUpsert(t *testing.T) {
	cases := []struct {
		name    string
		table   string
		cols    []string
		keys    []string
		rows    [][]any
		wantSQL string
		args    []any
	}{
		{
			name: "one row", table: "t", cols: []string{"id", "name", "age"}, keys: []string{"id"},
			rows:    [][]any{{int64(1), "a", nil}},
			wantSQL: "INSERT INTO `t` (`id`,`name`,`age`) VALUES (?,?,?) ON DUPLICATE KEY UPDATE `name`=VALUES(`name`),`age`=VALUES(`age`)",
			args:    []any{int64(1), "a", nil},
		},
		{
			name: "two rows, composite key in the middle", table: "orders", cols: []string{"a", "k1", "k2", "b"}, keys: []string{"k1", "k2"},
			rows:    [][]any{{1, 2, 3, 4}, {5, 6, 7, 8}},
			wantSQL: "INSERT INTO `orders` (`a`,`k1`,`k2`,`b`) VALUES (?,?,?,?),(?,?,?,?) ON DUPLICATE KEY UPDATE `a`=VALUES(`a`),`b`=VALUES(`b`)",
			args:    []any{1, 2, 3, 4, 5, 6, 7, 8},
		},
		{
			name: "all key columns: no-op update", table: "resource_access", cols: []string{"user_id", "group_id", "resource_id"},
			keys:    []string{"user_id", "group_id", "resource_id"},
			rows:    [][]any{{101, 5, 99}},
			wantSQL: "INSERT INTO `resource_access` (`user_id`,`group_id`,`resource_id`) VALUES (?,?,?) ON DUPLICATE KEY UPDATE `user_id`=`user_id`",
			args:    []any{101, 5, 99},
		},
		{
			name: "no key columns: update all", table: "t", cols: []string{"a"}, keys: nil,
			rows:    [][]any{{"x"}},
			wantSQL: "INSERT INTO `t` (`a`) VALUES (?) ON DUPLICATE KEY UPDATE `a`=VALUES(`a`)",
			args:    []any{"x"},
		},
		{
			name: "key matched without case", table: "t", cols: []string{"ID", "v"}, keys: []string{"id"},
			rows:    [][]any{{1, 2}},
			wantSQL: "INSERT INTO `t` (`ID`,`v`) VALUES (?,?) ON DUPLICATE KEY UPDATE `v`=VALUES(`v`)",
			args:    []any{1, 2},
		},
		{
			name: "hostile names are quoted", table: "we`ird", cols: []string{"id", "x`); DROP TABLE t; --"}, keys: []string{"id"},
			rows:    [][]any{{1, "'; DROP TABLE t; --"}},
			wantSQL: "INSERT INTO `we``ird` (`id`,`x``); DROP TABLE t; --`) VALUES (?,?) ON DUPLICATE KEY UPDATE `x``); DROP TABLE t; --`=VALUES(`x``); DROP TABLE t; --`)",
			args:    []any{1, "'; DROP TABLE t; --"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := Upsert(c.table, c.cols, c.keys, c.rows)
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
	big := make([][]any, MaxPlaceholders/2+1)
	for i := range big {
		big[i] = []any{1, 2}
	}
	cases := []struct {
		name, table, wantErr string
		cols, keys           []string
		rows                 [][]any
	}{
		{"empty table", "", "empty table", []string{"a"}, nil, [][]any{{1}}},
		{"NUL in table", "t\x00", "NUL", []string{"a"}, nil, [][]any{{1}}},
		{"no columns", "t", "no insert columns", nil, nil, [][]any{{}}},
		{"empty column", "t", "empty column", []string{""}, nil, [][]any{{1}}},
		{"NUL in column", "t", "NUL", []string{"a\x00"}, nil, [][]any{{1}}},
		{"duplicate column", "t", "duplicate", []string{"a", "A"}, nil, [][]any{{1, 2}}},
		{"unknown key", "t", "not among", []string{"a"}, []string{"b"}, [][]any{{1}}},
		{"no rows", "t", "no rows", []string{"a"}, nil, nil},
		{"short row", "t", "row 1 has 1 values", []string{"a", "b"}, nil, [][]any{{1, 2}, {1}}},
		{"too many parameters", "t", "split the batch", []string{"a", "b"}, nil, big},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Upsert(c.table, c.cols, c.keys, c.rows)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	cases := []struct {
		name    string
		table   string
		keys    []string
		values  [][]any
		wantSQL string
		args    []any
	}{
		{
			name: "single key", table: "t", keys: []string{"id"}, values: [][]any{{int64(7)}},
			wantSQL: "DELETE FROM `t` WHERE (`id`=?)", args: []any{int64(7)},
		},
		{
			name: "composite keys, several rows", table: "t", keys: []string{"k1", "k2"}, values: [][]any{{1, "a"}, {2, "b"}},
			wantSQL: "DELETE FROM `t` WHERE (`k1`=? AND `k2`=?) OR (`k1`=? AND `k2`=?)", args: []any{1, "a", 2, "b"},
		},
		{
			name: "NULL key value", table: "t", keys: []string{"k1", "k2"}, values: [][]any{{nil, "a"}, {1, nil}},
			wantSQL: "DELETE FROM `t` WHERE (`k1` IS NULL AND `k2`=?) OR (`k1`=? AND `k2` IS NULL)", args: []any{"a", 1},
		},
		{
			name: "every key value NULL", table: "t", keys: []string{"k1", "k2"}, values: [][]any{{nil, nil}},
			wantSQL: "DELETE FROM `t` WHERE (`k1` IS NULL AND `k2` IS NULL)", args: []any{},
		},
		{
			name: "typed NULLs", table: "t", keys: []string{"k1", "k2", "k3"},
			values:  [][]any{{sql.NullInt64{}, sql.NullString{}, (*string)(nil)}, {sql.NullInt64{Int64: 4, Valid: true}, "x", sql.NullString{}}},
			wantSQL: "DELETE FROM `t` WHERE (`k1` IS NULL AND `k2` IS NULL AND `k3` IS NULL) OR (`k1`=? AND `k2`=? AND `k3` IS NULL)",
			args:    []any{sql.NullInt64{Int64: 4, Valid: true}, "x"},
		},
		{
			name: "quoted names", table: "a`b", keys: []string{"c`d"}, values: [][]any{{1}},
			wantSQL: "DELETE FROM `a``b` WHERE (`c``d`=?)", args: []any{1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := Delete(c.table, c.keys, c.values)
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

func TestDeleteErrors(t *testing.T) {
	cases := []struct {
		name, table, wantErr string
		keys                 []string
		values               [][]any
	}{
		{"empty table", "", "empty table", []string{"id"}, [][]any{{1}}},
		{"no key columns", "t", "no key columns", nil, [][]any{{1}}},
		{"NUL in key", "t", "NUL", []string{"i\x00d"}, [][]any{{1}}},
		{"duplicate key", "t", "duplicate", []string{"id", "Id"}, [][]any{{1, 2}}},
		{"no keys", "t", "no rows", []string{"id"}, nil},
		{"wrong width", "t", "key 0 has 2 values", []string{"id"}, [][]any{{1, 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Delete(c.table, c.keys, c.values)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestInsertAndUpdate(t *testing.T) {
	cases := []struct {
		name       string
		cols, keys []string
		row        []any
		insertSQL  string
		updateSQL  string
		updateArgs []any
	}{
		{
			name: "non-key columns are set, keys matched", cols: []string{"id", "email", "name"}, keys: []string{"id"},
			row:        []any{int64(2), "a", "Bob"},
			insertSQL:  "INSERT INTO `t` (`id`,`email`,`name`) VALUES (?,?,?)",
			updateSQL:  "UPDATE `t` SET `email`=?,`name`=? WHERE `id`=?",
			updateArgs: []any{"a", "Bob", int64(2)},
		},
		{
			name: "composite key, NULL key part", cols: []string{"k1", "v", "k2"}, keys: []string{"k1", "K2"},
			row:        []any{1, "x", nil},
			insertSQL:  "INSERT INTO `t` (`k1`,`v`,`k2`) VALUES (?,?,?)",
			updateSQL:  "UPDATE `t` SET `v`=? WHERE `k1`=? AND `K2` IS NULL",
			updateArgs: []any{"x", 1},
		},
		{
			name: "typed NULL key part", cols: []string{"k1", "v", "k2"}, keys: []string{"k1", "k2"},
			row:        []any{1, "x", sql.NullInt64{}},
			insertSQL:  "INSERT INTO `t` (`k1`,`v`,`k2`) VALUES (?,?,?)",
			updateSQL:  "UPDATE `t` SET `v`=? WHERE `k1`=? AND `k2` IS NULL",
			updateArgs: []any{"x", 1},
		},
		{
			name: "only key columns: self-assignment", cols: []string{"a", "b"}, keys: []string{"a", "b"},
			row:        []any{1, 2},
			insertSQL:  "INSERT INTO `t` (`a`,`b`) VALUES (?,?)",
			updateSQL:  "UPDATE `t` SET `a`=`a` WHERE `a`=? AND `b`=?",
			updateArgs: []any{1, 2},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ins, err := Insert("t", c.cols, [][]any{c.row})
			if err != nil {
				t.Fatal(err)
			}
			if ins.SQL != c.insertSQL || !reflect.DeepEqual(ins.Args, c.row) {
				t.Errorf("insert: got %s %v, want %s %v", ins.SQL, ins.Args, c.insertSQL, c.row)
			}
			up, err := Update("t", c.cols, c.keys, c.row)
			if err != nil {
				t.Fatal(err)
			}
			if up.SQL != c.updateSQL || !reflect.DeepEqual(up.Args, c.updateArgs) {
				t.Errorf("update: got %s %#v, want %s %#v", up.SQL, up.Args, c.updateSQL, c.updateArgs)
			}
		})
	}
}

func TestUpdateErrors(t *testing.T) {
	cases := []struct {
		name, table, wantErr string
		cols, keys           []string
		row                  []any
	}{
		{"empty table", "", "empty table", []string{"a"}, []string{"a"}, []any{1}},
		{"no key", "t", "without key columns", []string{"a"}, nil, []any{1}},
		{"unknown key", "t", "not among", []string{"a"}, []string{"b"}, []any{1}},
		{"short row", "t", "1 values for 2 columns", []string{"a", "b"}, []string{"a"}, []any{1}},
		{"duplicate column", "t", "duplicate", []string{"a", "A"}, []string{"a"}, []any{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Update(c.table, c.cols, c.keys, c.row)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}
