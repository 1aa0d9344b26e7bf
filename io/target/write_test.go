package target

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// fakeDML builds statements that name what they were built from, so a test
// reads the steps off their SQL.
func fakeDML(maxParams int) DML {
	rows := func(rs [][]any) string {
		var parts []string
		for _, r := range rs {
			parts = append(parts, fmt.Sprint(r...))
		}
		return strings.Join(parts, ",")
	}
	return DML{
		Upsert: func(table string, cols, keyCols []string, rs [][]any) (Statement, error) {
			if table == "bad" {
				return Statement{}, errors.New("no")
			}
			return Statement{SQL: fmt.Sprintf("upsert %s %v %s", table, cols, rows(rs))}, nil
		},
		Delete: func(table string, keyCols []string, keys [][]any) (Statement, error) {
			return Statement{SQL: fmt.Sprintf("delete %s %s", table, rows(keys))}, nil
		},
		MaxParams: maxParams,
	}
}

func upsert(table string, cols []string, vals ...any) Change {
	return Change{Row: mapping.Row{Table: table, Columns: cols, KeyColumns: cols[:1], Values: vals, KeyValues: vals[:1]}}
}

func del(table string, key any) Change {
	return Change{Row: mapping.Row{Table: table, Delete: true, KeyColumns: []string{"k"}, KeyValues: []any{key}}}
}

func unique(c Change, seq int64) Change {
	c.Unique = true
	c.Version = newer.Version{Seq: seq}
	return c
}

// TestWriterSteps checks how a batch is cut into statements: one upsert per
// table and column list and one delete per table, in order of first
// appearance, split under the parameter limit; the changes of a table with
// unique keys form one step at its first appearance, in commit order.
func TestWriterSteps(t *testing.T) {
	ab, a := []string{"k", "b"}, []string{"k"}
	tests := []struct {
		name      string
		maxParams int
		changes   []Change
		want      []string // SQL, or "unique" and the Idx of its rows
	}{
		{
			name:      "grouped by table, columns and kind",
			maxParams: 100,
			changes:   []Change{upsert("t", ab, 1, 2), del("t", 3), upsert("u", a, 4), upsert("t", ab, 5, 6), upsert("t", a, 7), del("t", 8)},
			want:      []string{"upsert t [k b] 1 2,5 6", "delete t 3,8", "upsert u [k] 4", "upsert t [k] 7"},
		},
		{
			name:      "split under the parameter limit",
			maxParams: 5,
			changes:   []Change{upsert("t", ab, 1, 2), upsert("t", ab, 3, 4), upsert("t", ab, 5, 6), del("t", 7), del("t", 8)},
			want:      []string{"upsert t [k b] 1 2,3 4", "upsert t [k b] 5 6", "delete t 7,8"},
		},
		{
			name:      "unique tables in commit order, deletes included",
			maxParams: 100,
			changes:   []Change{upsert("t", a, 1), unique(upsert("r", a, 2), 3), unique(del("r", 4), 1), upsert("t", a, 5), unique(upsert("r", a, 6), 2)},
			want:      []string{"upsert t [k] 1,5", "unique 2 4 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := Writer{DML: fakeDML(tt.maxParams)}.steps(tt.changes)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range steps {
				if s.unique == nil {
					got = append(got, s.SQL)
					continue
				}
				u := "unique"
				for _, r := range s.unique {
					u += fmt.Sprint(" ", r.Idx)
				}
				got = append(got, u)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("steps %q, want %q", got, tt.want)
			}
		})
	}
	_, err := Writer{DML: fakeDML(100)}.steps([]Change{upsert("bad", []string{"k"}, 1)})
	if failure.Of(err) != failure.Severe || !strings.Contains(fmt.Sprint(err), "table bad") {
		t.Errorf("a statement that cannot be built: %v (%v), want a severe error naming the table", err, failure.Of(err))
	}
}

// TestApplyUnique checks the passes of the unique path with a fake target
// whose unique values are a map: a clash is deferred and tried again while
// a pass makes progress, a cycle goes to Reinsert, and what stays refused
// comes back by index, a clash as a *UniqueClashError.
func TestApplyUnique(t *testing.T) {
	errClash := &BatchError{Err: errors.New("clash")}
	errCheck := &BatchError{Err: errors.New("check")}
	row := func(key, val string) mapping.Row {
		return mapping.Row{Table: "t", Columns: []string{"k", "v"}, Values: []any{key, val}}
	}
	tests := []struct {
		name       string
		held       map[string]string // value -> key holding it
		rows       []UniqueRow
		reinsert   bool // Reinsert writes every row it gets
		wantFailed map[int]string
		wantCalls  int // Reinsert calls
	}{
		{
			name:       "clash freed later in the batch",
			held:       map[string]string{"x": "b"},
			rows:       []UniqueRow{{0, row("a", "x")}, {1, row("b", "y")}},
			wantFailed: map[int]string{},
		},
		{
			name:       "swap goes to reinsert",
			held:       map[string]string{"x": "b", "y": "a"},
			rows:       []UniqueRow{{0, row("a", "x")}, {1, row("b", "y")}},
			reinsert:   true,
			wantFailed: map[int]string{},
			wantCalls:  1,
		},
		{
			name:       "one clash stays refused",
			held:       map[string]string{"x": "z"},
			rows:       []UniqueRow{{4, row("a", "x")}, {5, row("c", "check")}},
			wantFailed: map[int]string{4: "clash", 5: "check"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			u := Unique{
				Write: func(_ context.Context, r mapping.Row) error {
					k, v := r.Values[0].(string), r.Values[1].(string)
					if v == "check" {
						return errCheck
					}
					if h, ok := tt.held[v]; ok && h != k {
						return errClash
					}
					for val, h := range tt.held {
						if h == k {
							delete(tt.held, val)
						}
					}
					tt.held[v] = k
					return nil
				},
				Clash: func(err error) bool { return err == errClash },
				Reinsert: func(_ context.Context, rows []UniqueRow) ([]UniqueRow, error) {
					calls++
					if tt.reinsert {
						return rows, nil
					}
					return nil, nil
				},
			}
			failed, err := ApplyUnique(context.Background(), u, tt.rows)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int]string{}
			for i, e := range failed {
				got[i] = errors.Unwrap(e).Error()
			}
			if !reflect.DeepEqual(got, tt.wantFailed) || calls != tt.wantCalls {
				t.Errorf("failed %v, %d reinserts; want %v, %d", got, calls, tt.wantFailed, tt.wantCalls)
			}
			if e, ok := failed[4]; ok {
				var ce *UniqueClashError
				if !errors.As(e, &ce) || ce.Table != "t" {
					t.Errorf("a clash: %v, want a *UniqueClashError of table t", e)
				}
			}
		})
	}
}
