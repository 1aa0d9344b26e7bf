package transforms

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// byName routes by the row's Name: "skip" to the skip directory, anything
// else to the shard of that name.
type byName struct{}

func (byName) ShardID(_ context.Context, req routing.Request) (string, error) {
	s, _ := req.SpannerRecord["Name"].(string)
	return s, nil
}

// dropOdd filters rows with an odd Id and upper-cases nothing else: it
// answers Note = "t" for the others.
type dropOdd struct{}

func (dropOdd) ToSourceRow(_ context.Context, req transformation.Request) (transformation.Response, error) {
	var id string
	_ = json.Unmarshal(req.RequestRow["Id"], &id)
	if id[len(id)-1]%2 == 1 {
		return transformation.Response{IsEventFiltered: true}, nil
	}
	return transformation.Response{ResponseRow: map[string]json.RawMessage{"Note": json.RawMessage(`"t"`)}}, nil
}

func testExpecter(withTransform bool) *expecter {
	sp := schema.Spanner{Tables: map[string]schema.SpannerTable{"Items": {Name: "Items", PrimaryKey: []schema.KeyPart{{Column: "Id"}},
		Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "Name", Type: "STRING(20)"}, {Name: "At", Type: "TIMESTAMP"}, {Name: "Note", Type: "STRING(5)"}}}}}
	src := schema.Source{Tables: map[string]schema.SourceTable{"items": {Name: "items", PrimaryKey: []string{"Id"}, Columns: []schema.SourceColumn{
		{Name: "Id", DataType: "bigint", ColumnType: "bigint"}, {Name: "Name", DataType: "varchar", ColumnType: "varchar(20)", MaxLength: 20},
		{Name: "At", DataType: "datetime", ColumnType: "datetime(3)"}, {Name: "Note", DataType: "char", ColumnType: "char(5)", MaxLength: 5}}}}}
	names := mapping.Names{Tables: map[string]mapping.TableNames{"Items": {Source: "items"}}}
	cfg := VerifyConfig{Spanner: sp, Source: src, Names: names, TimezoneOffset: "+02:00", At: time.Unix(100, 0), SkipDir: "skip",
		Shards: []string{"s1", "s2"}, Tables: routing.StaticTables{SourceTables: map[string]bool{"Items": true}}}
	e := &expecter{cfg: cfg, scanner: mysql.Target{}.Scanner(), spannerOf: map[string][]string{"items": {"Items"}},
		mapper: &mapping.Mapper{Spanner: sp, Source: src, Names: names, TZ: time.FixedZone("+02:00", 7200), Values: mysql.Target{}.Values()},
		router: &routing.Router{Shards: map[string]bool{"s1": true, "s2": true}, SkipDir: "skip", Tables: cfg.Tables, Fetcher: byName{}}}
	if withTransform {
		e.transform = dropOdd{}
	}
	return e
}

func TestExpect(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		transform  bool
		keys, vals string
		key        string
		kind       string
		columns    []string
		values     []verify.Value
		filtered   bool
	}{
		{name: "mapped, routed, canonical and in the source's zone", keys: `{"Id":"7"}`, vals: `{"Name":"s1","At":"2024-05-01T10:00:00.5Z","Note":"ab  "}`,
			key:     verify.Key{Shard: "s1", Table: "items", PK: []verify.Value{verify.Text("7")}}.String(),
			columns: []string{"Id", "Name", "At", "Note"}, values: []verify.Value{verify.Text("7"), verify.Text("s1"), verify.Text("2024-05-01 12:00:00.5"), verify.Text("ab")}},
		{name: "NULL", keys: `{"Id":"8"}`, vals: `{"Name":"s2","At":null,"Note":null}`,
			key:     verify.Key{Shard: "s2", Table: "items", PK: []verify.Value{verify.Text("8")}}.String(),
			columns: []string{"Id", "Name", "At", "Note"}, values: []verify.Value{verify.Text("8"), verify.Text("s2"), verify.Null, verify.Null}},
		{name: "skipped by the shard fetcher", keys: `{"Id":"9"}`, vals: `{"Name":"skip"}`, kind: verify.SkippedRows},
		{name: "unknown shard", keys: `{"Id":"9"}`, vals: `{"Name":"s9"}`, kind: verify.Unmappable},
		{name: "value the column cannot hold", keys: `{"Id":"10"}`, vals: `{"Name":"s1","Note":"toolong"}`, kind: verify.Unmappable},
		{name: "transformed", transform: true, keys: `{"Id":"12"}`, vals: `{"Name":"s1","At":null,"Note":"x"}`,
			key:     verify.Key{Shard: "s1", Table: "items", PK: []verify.Value{verify.Text("12")}}.String(),
			columns: []string{"Id", "Name", "At", "Note"}, values: []verify.Value{verify.Text("12"), verify.Text("s1"), verify.Null, verify.Text("t")}},
		{name: "filtered by the transformation", transform: true, keys: `{"Id":"13"}`, vals: `{"Name":"s2"}`, filtered: true,
			key: verify.Key{Shard: "s2", Table: "items", PK: []verify.Value{verify.Text("13")}}.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, exp, kind, err := testExpecter(tt.transform).expect(ctx, "Items", tt.keys, tt.vals)
			if kind != tt.kind {
				t.Fatalf("kind = %q (%v), want %q", kind, err, tt.kind)
			}
			if kind != "" {
				return
			}
			if k.String() != tt.key || exp.Filtered != tt.filtered || !reflect.DeepEqual(exp.Columns, tt.columns) || !reflect.DeepEqual(exp.Values, tt.values) {
				t.Errorf("expect = %s %+v, want %s %v %v filtered %v", k, exp, tt.key, tt.columns, tt.values, tt.filtered)
			}
			if exp.KeysJSON != tt.keys || exp.SpannerTable != "Items" {
				t.Errorf("source of the row = %s %s", exp.SpannerTable, exp.KeysJSON)
			}
		})
	}
}

func TestSpannerKeyOfTargetRow(t *testing.T) {
	e := testExpecter(false)
	k := verify.Key{Shard: "s1", Table: "ITEMS", PK: []verify.Value{verify.Text("42")}}
	sp, keys, ok, _ := e.spannerKey(k, verify.Row{Columns: []string{"Id", "Name"}, Values: []verify.Value{verify.Text("42"), verify.Text("x")}})
	if !ok || sp != "Items" || keys != `{"Id":"42"}` {
		t.Errorf("spannerKey = %s %s %v", sp, keys, ok)
	}
	if _, _, ok, _ := e.spannerKey(verify.Key{Table: "other"}, verify.Row{}); ok {
		t.Error("spannerKey found a table that is not replicated")
	}
}
