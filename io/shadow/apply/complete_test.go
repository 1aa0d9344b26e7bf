package apply

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// fakeRows is a RowReader answering from fixed rows, counting reads.
type fakeRows struct {
	before map[string]string // keys JSON -> row before the delete
	cols   map[string]json.RawMessage
	err    error
	reads  int
	at     time.Time
}

func (f *fakeRows) RowBefore(_ context.Context, _ schema.SpannerTable, keys string, commit time.Time) (string, error) {
	f.reads++
	f.at = commit
	if f.err != nil {
		return "", f.err
	}
	return f.before[keys], nil
}

func (f *fakeRows) Columns(_ context.Context, _ schema.SpannerTable, _ string, at time.Time, cols []string) (map[string]json.RawMessage, error) {
	f.reads++
	f.at = at
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]json.RawMessage{}
	for _, c := range cols {
		out[c] = f.cols[c]
	}
	return out, nil
}

// fakeTransform answers with a fixed response, or filters, or fails.
type fakeTransform struct {
	resp  transformation.Response
	err   error
	calls []transformation.Request
}

func (f *fakeTransform) ToSourceRow(_ context.Context, req transformation.Request) (transformation.Response, error) {
	f.calls = append(f.calls, req)
	return f.resp, f.err
}

// A table whose MySQL key (order_no) is a Spanner non-key column, and
// whose Spanner "label" is generated.
var ordersSpanner = schema.Spanner{Tables: map[string]schema.SpannerTable{
	"Orders": {Name: "Orders", Columns: []schema.SpannerColumn{
		{Name: "Id", Type: "INT64"}, {Name: "OrderNo", Type: "STRING(20)"}, {Name: "Label", Type: "STRING(30)", Generated: true},
	}, PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
	"Gone": {Name: "Gone", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}}, PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
}}

var ordersSource = schema.Source{Tables: map[string]schema.SourceTable{
	"orders": {Name: "orders", Columns: []schema.SourceColumn{
		{Name: "id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "order_no", DataType: "varchar", ColumnType: "varchar(20)", MaxLength: 20},
		{Name: "label", DataType: "varchar", ColumnType: "varchar(30)", MaxLength: 30},
	}, PrimaryKey: []string{"order_no"}},
}}

var ordersNames = mapping.Names{Tables: map[string]mapping.TableNames{
	"Orders": {Source: "orders", Columns: map[string]string{"Id": "id", "OrderNo": "order_no", "Label": "label"}},
}}

func ordersApplier(rows RowReader, tr transformation.Transformer) *Applier {
	return &Applier{Spanner: ordersSpanner, Rows: rows, Transform: tr,
		Mapper: mapping.Mapper{Spanner: ordersSpanner, Source: ordersSource, Names: ordersNames, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{}}
}

func orderRec(mod, vals string) record.Record {
	return record.Record{TableName: "Orders", ModType: mod, CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000, Nanos: 5000},
		RecordSequence: "00000001", Mod: record.ModJSON{KeysJSON: `{"Id":"7"}`, NewValuesJSON: vals}}
}

func TestComplete(t *testing.T) {
	commit := time.Unix(1_700_000_000, 5000).UTC()
	tests := []struct {
		name     string
		rec      record.Record
		rows     *fakeRows
		noReader bool
		want     string // NewValuesJSON afterwards
		wantAt   time.Time
		reads    int
		wantErr  string
	}{
		{name: "keys-only delete gets the row", rec: orderRec("DELETE", "{}"),
			rows: &fakeRows{before: map[string]string{`{"Id":"7"}`: `{"OrderNo":"A-1","Label":"x"}`}},
			want: `{"OrderNo":"A-1","Label":"x"}`, wantAt: commit, reads: 1},
		{name: "delete read before stays", rec: orderRec("DELETE", `{"OrderNo":"A-1"}`), rows: &fakeRows{},
			want: `{"OrderNo":"A-1"}`},
		{name: "insert gets its generated column at the commit", rec: orderRec("INSERT", `{"OrderNo":"A-1"}`),
			rows: &fakeRows{cols: map[string]json.RawMessage{"Label": json.RawMessage(`"gen"`)}},
			want: `{"Label":"gen","OrderNo":"A-1"}`, wantAt: commit, reads: 1},
		{name: "read failure", rec: orderRec("DELETE", "{}"), rows: &fakeRows{err: errors.New("too old")},
			wantErr: "reading the deleted row back from Spanner: too old", wantAt: commit, reads: 1},
		{name: "no reader", rec: orderRec("DELETE", "{}"), noReader: true,
			wantErr: `table "Orders": mapping needs columns [OrderNo Label] read from Spanner, but the writer has no reader`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rr RowReader = tt.rows
			if tt.noReader {
				rr = nil
			}
			a := ordersApplier(rr, nil)
			r := tt.rec
			err := a.complete(context.Background(), &r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if r.Mod.NewValuesJSON != tt.want {
				t.Errorf("new values %s, want %s", r.Mod.NewValuesJSON, tt.want)
			}
			if tt.rows != nil && (tt.rows.reads != tt.reads || !tt.rows.at.Equal(tt.wantAt)) {
				t.Errorf("reads %d at %v, want %d at %v", tt.rows.reads, tt.rows.at, tt.reads, tt.wantAt)
			}
		})
	}
}

func TestMapRowWithTransformation(t *testing.T) {
	ctx := context.Background()
	full := `{"OrderNo":"A-1","Label":"x"}`
	t.Run("response row overrides", func(t *testing.T) {
		tr := &fakeTransform{resp: transformation.Response{ResponseRow: map[string]json.RawMessage{"label": json.RawMessage(`"from wasm"`)}}}
		row, err := ordersApplier(nil, tr).mapRow(ctx, orderRec("UPDATE", full))
		if err != nil {
			t.Fatal(err)
		}
		if row.Filtered || row.Values[2] != "from wasm" || len(tr.calls) != 1 || tr.calls[0].EventType != "UPDATE" {
			t.Errorf("row %+v, calls %+v", row, tr.calls)
		}
	})
	t.Run("filtered", func(t *testing.T) {
		tr := &fakeTransform{resp: transformation.Response{IsEventFiltered: true}}
		row, err := ordersApplier(nil, tr).mapRow(ctx, orderRec("DELETE", full))
		if err != nil || !row.Filtered || !row.Delete || len(row.Columns) != 0 {
			t.Errorf("row %+v, err %v: want a filtered delete that writes nothing", row, err)
		}
	})
	t.Run("failure is a transformation error", func(t *testing.T) {
		tr := &fakeTransform{err: errors.New("bad row")}
		_, err := ordersApplier(nil, tr).mapRow(ctx, orderRec("INSERT", full))
		var te *transformation.Error
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "bad row") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("tables missing at the source skip the transformation", func(t *testing.T) {
		tr := &fakeTransform{}
		r := orderRec("INSERT", "{}")
		r.TableName = "Gone"
		_, err := ordersApplier(nil, tr).mapRow(ctx, r)
		if !errors.Is(err, mapping.ErrTableNotAtSource) || len(tr.calls) != 0 {
			t.Errorf("err = %v, calls %d", err, len(tr.calls))
		}
	})
	t.Run("a transformation wants every deleted row", func(t *testing.T) {
		rows := &fakeRows{before: map[string]string{`{"Id":"7"}`: full}}
		a := ordersApplier(rows, &fakeTransform{})
		a.Mapper = mapping.Mapper{Spanner: ordersSpanner, Source: schema.Source{Tables: map[string]schema.SourceTable{
			"orders": {Name: "orders", Columns: ordersSource.Tables["orders"].Columns, PrimaryKey: []string{"id"}},
		}}, Names: ordersNames, Values: convert.Values{}}
		r := orderRec("DELETE", "{}")
		if err := a.complete(ctx, &r); err != nil || rows.reads != 1 || r.Mod.NewValuesJSON != full {
			t.Errorf("complete: err %v, reads %d, new values %s", err, rows.reads, r.Mod.NewValuesJSON)
		}
	})
}
