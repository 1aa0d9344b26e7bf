package convert

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// typeMatrix is every COLUMN_TYPE the value tests and the fuzzer use, and
// spellings information_schema does not produce but a hand-written schema
// may (upper case, spaces, FLOAT(p), no DATA_TYPE). Several share a
// DATA_TYPE and differ only in their arguments.
var typeMatrix = append(append([]string(nil), fuzzColumns...),
	"bigint(20) unsigned", "binary(3)", "bit(1)", "bit(16)", "bit(3)", "bit(64)", "bit(8)", "bool", "boolean",
	"char(1)", "char(36)", "datetime", "datetime(3)", "decimal", "decimal(1,0)", "decimal(10,2) unsigned",
	"decimal(10,5)", "decimal(12,4)", "decimal(20,0)", "decimal(38,9)", "decimal(4,2)", "decimal(65,0)",
	"DECIMAL(10, 2)", "numeric(5,1)", "double unsigned", "double precision", "real", "float(30)", "float(10)",
	"float(7,3)", "enum('1','2')", "enum('it''s','x y')", "int(11)", "INT(11) UNSIGNED", " int(11) ", "integer",
	"longblob", "longtext", "mediumtext", "mediumint(8) unsigned", "mediumint(9)", "set('a','b','c')",
	"set('a,b','c')", "smallint(6)", "time", "time(2)", "time(9)", "timestamp(3)", "tinyblob", "tinyint(3) unsigned",
	"tinyint(4)", "tinytext", "varbinary(10)", "varbinary(36)", "varchar(10)", "varchar(40)", "year(4)")

// matrixColumns are typeMatrix's columns as information_schema describes
// them, and again without DATA_TYPE (parseType then reads COLUMN_TYPE).
func matrixColumns() []schema.SourceColumn {
	var cols []schema.SourceColumn
	for i, ct := range typeMatrix {
		c := col(strings.ToLower(strings.TrimSpace(ct)), int64(i))
		c.ColumnType = ct
		c.Name = fmt.Sprintf("c%d", i)
		cols = append(cols, c)
		c.DataType, c.Name = "", c.Name+"_nodt"
		cols = append(cols, c)
	}
	return cols
}

// parsed is targetOf without the cache: the type parsed now.
func parsed(c schema.SourceColumn) target {
	t := parseType(typeKey{c.DataType, c.ColumnType})
	t.col = c
	return t
}

// TestTargetOfMatchesParse: the cached target of every column of the
// matrix is the one parsing it now gives, asked first and again (then
// from the cache) in an order that interleaves types sharing a DATA_TYPE,
// so a cache keyed on less than the whole type would hand a column
// another's parse. Columns of one type that differ in name and length
// keep their own.
func TestTargetOfMatchesParse(t *testing.T) {
	cols := matrixColumns()
	for pass := range 2 {
		for i := range cols {
			c := cols[i]
			if pass == 1 {
				c = cols[len(cols)-1-i]
			}
			if got, want := targetOf(c), parsed(c); !reflect.DeepEqual(got, want) {
				t.Errorf("pass %d, %q (DATA_TYPE %q):\n got %+v\nwant %+v", pass, c.ColumnType, c.DataType, got, want)
			}
		}
	}
	a := schema.SourceColumn{Name: "a", DataType: "varchar", ColumnType: "varchar(10)", MaxLength: 10}
	b := a
	b.Name, b.MaxLength, b.Nullable = "b", 40, true
	if ta, tb := targetOf(a), targetOf(b); ta.col.Name != "a" || tb.col.Name != "b" || tb.col.MaxLength != 40 || !tb.col.Nullable {
		t.Errorf("two columns of one type: got %+v and %+v", ta.col, tb.col)
	}
}

// freshRuns makes each freshColumns call spell its types anew.
var freshRuns atomic.Int64

// freshColumns are matrixColumns with COLUMN_TYPEs the cache has not seen:
// padded with trailing spaces, which parseType ignores.
func freshColumns() []schema.SourceColumn {
	pad := strings.Repeat(" ", int(freshRuns.Add(1)))
	cols := matrixColumns()
	for i := range cols {
		cols[i].ColumnType += pad
	}
	return cols
}

// TestTargetOfConcurrent converts values for every column of the matrix
// from many goroutines at once (run with -race), the types new to the
// cache so that the goroutines race to store them: each result is the
// one converting alone then gives, and afterwards the cache still holds
// what parsing gives (no conversion changed a shared target, such as the
// members of an ENUM).
func TestTargetOfConcurrent(t *testing.T) {
	cols := freshColumns()
	typ, err := spannertype.Parse("STRING(MAX)")
	if err != nil {
		t.Fatal(err)
	}
	raws := []json.RawMessage{json.RawMessage(`"1"`), json.RawMessage(`"b,a"`), json.RawMessage(`"2024-02-02 20:00:00.5"`)}
	type result struct {
		v   any
		err string
	}
	convertAll := func() []result {
		var out []result
		for _, c := range cols {
			for _, raw := range raws {
				v, err := Value(typ, raw, c, plus10)
				r := result{v: v}
				if err != nil {
					r.err = err.Error()
				}
				out = append(out, r)
			}
		}
		return out
	}
	const workers = 8
	var wg sync.WaitGroup
	got := make([][]result, workers)
	for w := range workers {
		wg.Go(func() { got[w] = convertAll() })
	}
	wg.Wait()
	want := convertAll()
	for w := range workers {
		if !reflect.DeepEqual(got[w], want) {
			t.Errorf("worker %d converted differently from a lone conversion", w)
		}
	}
	for _, c := range cols {
		if got, want := targetOf(c), parsed(c); !reflect.DeepEqual(got, want) {
			t.Errorf("%q after concurrent use: got %+v, want %+v", c.ColumnType, got, want)
		}
	}
}
