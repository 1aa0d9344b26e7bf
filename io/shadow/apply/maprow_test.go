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

func ordersApplier(tr transformation.Transformer) *Applier {
	return &Applier{Spanner: ordersSpanner, Transform: tr,
		Mapper: mapping.Mapper{Spanner: ordersSpanner, Source: ordersSource, Names: ordersNames, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{}}
}

func orderRec(mod, vals string) record.Record {
	return record.Record{TableName: "Orders", ModType: mod, CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000, Nanos: 5000},
		RecordSequence: "00000001", Mod: record.ModJSON{KeysJSON: `{"Id":"7"}`, NewValuesJSON: vals}}
}

func TestMapRowWithTransformation(t *testing.T) {
	ctx := context.Background()
	full := `{"OrderNo":"A-1","Label":"x"}`
	t.Run("response row overrides", func(t *testing.T) {
		tr := &fakeTransform{resp: transformation.Response{ResponseRow: map[string]json.RawMessage{"label": json.RawMessage(`"from wasm"`)}}}
		row, err := mapRec(ctx, t, ordersApplier(tr), orderRec("UPDATE", full))
		if err != nil {
			t.Fatal(err)
		}
		if row.Filtered || row.Values[2] != "from wasm" || len(tr.calls) != 1 || tr.calls[0].EventType != "UPDATE" {
			t.Errorf("row %+v, calls %+v", row, tr.calls)
		}
	})
	t.Run("filtered", func(t *testing.T) {
		tr := &fakeTransform{resp: transformation.Response{IsEventFiltered: true}}
		row, err := mapRec(ctx, t, ordersApplier(tr), orderRec("DELETE", full))
		if err != nil || !row.Filtered || !row.Delete || len(row.Columns) != 0 {
			t.Errorf("row %+v, err %v: want a filtered delete that writes nothing", row, err)
		}
	})
	t.Run("failure is a transformation error", func(t *testing.T) {
		tr := &fakeTransform{err: errors.New("bad row")}
		_, err := mapRec(ctx, t, ordersApplier(tr), orderRec("INSERT", full))
		var te *transformation.Error
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "bad row") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("tables missing at the source skip the transformation", func(t *testing.T) {
		tr := &fakeTransform{}
		r := orderRec("INSERT", "{}")
		r.TableName = "Gone"
		_, err := mapRec(ctx, t, ordersApplier(tr), r)
		if !errors.Is(err, mapping.ErrTableNotAtSource) || len(tr.calls) != 0 {
			t.Errorf("err = %v, calls %d", err, len(tr.calls))
		}
	})
}

// mapRec decodes r once, as prepare does, and maps it.
func mapRec(ctx context.Context, t *testing.T, a *Applier, r record.Record) (mapping.Row, error) {
	t.Helper()
	v, err := r.Mod.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return a.mapRow(ctx, r, v)
}
