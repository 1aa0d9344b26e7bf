package convert

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// typeMatrix is every family as ReadSchema describes a column (typname,
// format_type), with arrays, modifiers, domains (a domain's format_type is
// its name) and spellings a hand-written schema may use. Several share a
// typname and differ only in the modifiers of ColumnType.
var typeMatrix = []struct{ dataType, columnType string }{
	{"bool", "boolean"}, {"int2", "smallint"}, {"int4", "integer"}, {"int8", "bigint"}, {"INT8", " bigint "},
	{"numeric", "numeric"}, {"numeric", "numeric(10,2)"}, {"numeric", "numeric(38,9)"}, {"numeric", "numeric(5)"},
	{"numeric", "numeric(10, 2)"}, {"numeric[]", "numeric(4,1)[]"}, {"float4", "real"}, {"float8", "double precision"},
	{"bpchar", "character(8)"}, {"bpchar", "character(1)"}, {"varchar", "character varying(100)"},
	{"varchar", "character varying"}, {"varchar", "app.short"}, {"text", "text"}, {"name", "name"}, {"citext", "citext"},
	{"bytea", "bytea"}, {"date", "date"},
	{"timestamp", "timestamp without time zone"}, {"timestamp", "timestamp(0) without time zone"},
	{"timestamp", "timestamp(3) without time zone"}, {"timestamptz", "timestamp with time zone"},
	{"timestamptz", "timestamp(6) with time zone"}, {"timestamptz", "timestamp(2) with time zone"},
	{"time", "time without time zone"}, {"time", "time(4) without time zone"}, {"time[]", "time(1) without time zone[]"},
	{"json", "json"}, {"jsonb", "jsonb"}, {"uuid", "uuid"}, {"enum", "app.mood"}, {"enum", "public.mood"},
	{"text[]", "text[]"}, {"bytea[]", "bytea[]"}, {"int8[]", "bigint[]"}, {"geometry", "geometry"}, {"", ""},
}

// matrixColumns are typeMatrix's columns, each with a length and enum
// labels of its own.
func matrixColumns() []schema.SourceColumn {
	var cols []schema.SourceColumn
	for i, ty := range typeMatrix {
		cols = append(cols, schema.SourceColumn{Name: fmt.Sprintf("c%d", i), DataType: ty.dataType,
			ColumnType: ty.columnType, MaxLength: int64(i), Members: []string{fmt.Sprint("l", i), "Très bien"}})
	}
	return cols
}

// parsed is targetOf without the cache: the type parsed now.
func parsed(c schema.SourceColumn) target {
	t := parseType(typeKey{c.DataType, c.ColumnType})
	t.col, t.maxLen, t.members = c, c.MaxLength, c.Members
	return t
}

// TestTargetOfMatchesParse: the cached target of every column of the
// matrix is the one parsing it now gives, asked first and again (then
// from the cache) in an order that interleaves types sharing a typname,
// so a cache keyed on less than the whole type would hand a column
// another's parse. Two enum columns of one type name keep their own
// labels, two varchar columns their own lengths.
func TestTargetOfMatchesParse(t *testing.T) {
	cols := matrixColumns()
	for pass := range 2 {
		for i := range cols {
			c := cols[i]
			if pass == 1 {
				c = cols[len(cols)-1-i]
			}
			if got, want := targetOf(c), parsed(c); !reflect.DeepEqual(got, want) {
				t.Errorf("pass %d, %q %q:\n got %+v\nwant %+v", pass, c.DataType, c.ColumnType, got, want)
			}
		}
	}
	e1 := schema.SourceColumn{Name: "e1", DataType: "enum", ColumnType: "mood", Members: []string{"a"}, MaxLength: 1}
	e2 := schema.SourceColumn{Name: "e2", DataType: "enum", ColumnType: "mood", Members: []string{"b", "c"}, MaxLength: 2}
	t1, t2 := targetOf(e1), targetOf(e2)
	if !reflect.DeepEqual(t1.members, e1.Members) || !reflect.DeepEqual(t2.members, e2.Members) ||
		t1.maxLen != 1 || t2.maxLen != 2 || t1.col.Name != "e1" || t2.col.Name != "e2" {
		t.Errorf("two columns of one type: got %+v and %+v", t1, t2)
	}
}

// freshRuns makes each freshColumns call spell its types anew.
var freshRuns atomic.Int64

// freshColumns are matrixColumns with ColumnTypes the cache has not seen:
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
// what parsing gives.
func TestTargetOfConcurrent(t *testing.T) {
	cols := freshColumns()
	var types []spannertype.Type
	for _, s := range []string{"STRING(MAX)", "NUMERIC", "TIMESTAMP", "ARRAY<STRING(MAX)>"} {
		typ, err := spannertype.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
	}
	raws := []json.RawMessage{json.RawMessage(`"1"`), json.RawMessage(`"12.345"`),
		json.RawMessage(`"2024-02-02T20:00:00.123456789Z"`), json.RawMessage(`["l1","x"]`)}
	tz := time.FixedZone("+05:30", 5*3600+1800)
	type result struct {
		v   any
		err string
	}
	convertAll := func() []result {
		var out []result
		for _, c := range cols {
			for i, typ := range types {
				v, err := Value(typ, raws[i], c, tz)
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
			t.Errorf("%q %q after concurrent use: got %+v, want %+v", c.DataType, c.ColumnType, got, want)
		}
	}
}
