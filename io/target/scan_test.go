package target

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// TestSplits checks the frame of a Scanner's Splits: no split for a table
// that fits in one range, and none at the last row.
func TestSplits(t *testing.T) {
	tests := []struct {
		rows, rowsPerRange int
		want               int // splits
		wantEvery          int // the rowsPerRange split is asked for
	}{
		{rows: 10, rowsPerRange: 10, want: 0},
		{rows: 11, rowsPerRange: 10, want: 1, wantEvery: 10},
		{rows: 20, rowsPerRange: 10, want: 1, wantEvery: 10},
		{rows: 21, rowsPerRange: 10, want: 2, wantEvery: 10},
		{rows: 3, rowsPerRange: 0, want: 2, wantEvery: 1},
	}
	for _, tt := range tests {
		every := 0
		got, err := Splits(tt.rowsPerRange, func() (int64, error) { return int64(tt.rows), nil }, func(n int) ([][]verify.Value, error) {
			every = n
			var out [][]verify.Value
			for i := n; i <= tt.rows; i += n { // every n-th row, as the query does
				out = append(out, []verify.Value{verify.Text(fmt.Sprint(i))})
			}
			return out, nil
		})
		if err != nil || len(got) != tt.want || every != tt.wantEvery {
			t.Errorf("%d rows by %d: %d splits (every %d), %v; want %d (every %d)", tt.rows, tt.rowsPerRange, len(got), every, err, tt.want, tt.wantEvery)
		}
	}
	boom := errors.New("boom")
	if _, err := Splits(1, func() (int64, error) { return 0, boom }, nil); !errors.Is(err, boom) {
		t.Errorf("count error %v, want boom", err)
	}
}

// TestRange checks the query of a key range with a dialect that compares
// row values: bounds bound in key order, numbered after the ones before.
func TestRange(t *testing.T) {
	s := ScanSQL[string]{
		Quote:  func(n string) string { return `"` + n + `"` },
		Stored: func(c schema.SourceColumn, q string) string { return "s(" + q + ")" },
		Bind: func(c schema.SourceColumn, v verify.Value) (any, error) {
			if v.Text == "bad" {
				return nil, errors.New("no")
			}
			return "b:" + v.Text, nil
		},
		Bound: func(_ []schema.SourceColumn, cols []string, args []any, op, last string, n int) (string, []any) {
			return fmt.Sprintf("(%s) %s %s #%d", strings.Join(cols, ","), op, last, n), args
		},
	}
	k1, k2, v := schema.SourceColumn{Name: "k1"}, schema.SourceColumn{Name: "k2"}, schema.SourceColumn{Name: "v"}
	pk, cols := []schema.SourceColumn{k1, k2}, []schema.SourceColumn{k1, k2, v}
	tests := []struct {
		r        KeyRange
		want     string
		wantArgs []any
	}{
		{KeyRange{}, `SELECT s("k1"), s("k2"), s("v") FROM T ORDER BY "k1", "k2"`, nil},
		{KeyRange{From: []verify.Value{verify.Text("a"), verify.Text("b")}, To: []verify.Value{verify.Text("c"), verify.Text("d")}},
			`SELECT s("k1"), s("k2"), s("v") FROM T WHERE ("k1","k2") > >= #0 AND ("k1","k2") < < #2 ORDER BY "k1", "k2"`,
			[]any{"b:a", "b:b", "b:c", "b:d"}},
		{KeyRange{To: []verify.Value{verify.Text("c"), verify.Text("d")}, Through: true},
			`SELECT s("k1"), s("k2"), s("v") FROM T WHERE ("k1","k2") < <= #0 ORDER BY "k1", "k2"`,
			[]any{"b:c", "b:d"}},
	}
	for _, tt := range tests {
		rr, err := s.Range(pk, cols, tt.r)
		if err != nil || rr.Query("T") != tt.want || !reflect.DeepEqual(rr.Args, tt.wantArgs) {
			t.Errorf("%+v:\n got %s %v, %v\nwant %s %v", tt.r, rr.Query("T"), rr.Args, err, tt.want, tt.wantArgs)
		}
	}
	for _, r := range []KeyRange{{From: []verify.Value{verify.Text("a")}}, {To: []verify.Value{verify.Text("a"), verify.Text("bad")}}} {
		if _, err := s.Range(pk, cols, r); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
}
