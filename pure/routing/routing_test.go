package routing_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// fixedFetcher is a custom-fetcher double that answers one id or error.
type fixedFetcher struct {
	id  string
	err error
}

func (f fixedFetcher) ShardID(context.Context, routing.Request) (string, error) { return f.id, f.err }

func TestRoute(t *testing.T) {
	tables := routing.StaticTables{
		ShardIDColumns: map[string]string{"Singers": "migration_shard_id", "Albums": "shard"},
		SourceTables:   map[string]bool{"Singers": true, "Albums": true, "NoShardCol": true},
	}
	boom := errors.New("plugin failed")
	tests := []struct {
		name    string
		table   string
		rec     map[string]any
		fetcher routing.Fetcher
		want    string
		wantErr error
		msg     string
	}{
		{name: "shard column", table: "Singers", rec: map[string]any{"migration_shard_id": "shard2"}, want: "shard2"},
		{name: "integer shard column", table: "Albums", rec: map[string]any{"shard": int64(1)}, want: "1"},
		{name: "table not at source", table: "Gone", rec: map[string]any{}, wantErr: mapping.ErrTableNotAtSource, msg: `table "Gone"`},
		{name: "no shard column for table", table: "NoShardCol", rec: map[string]any{"x": "y"}, wantErr: routing.ErrNoShardIDColumn, msg: "session file"},
		{name: "shard column missing in record", table: "Singers", rec: map[string]any{}, wantErr: routing.ErrInvalidShardID, msg: `no value for shard-id column "migration_shard_id"`},
		{name: "shard column null", table: "Singers", rec: map[string]any{"migration_shard_id": nil}, wantErr: routing.ErrInvalidShardID, msg: "is NULL"},
		{name: "shard column wrong type", table: "Singers", rec: map[string]any{"migration_shard_id": true}, wantErr: routing.ErrInvalidShardID, msg: "holds bool"},
		{name: "empty id", table: "Singers", rec: map[string]any{"migration_shard_id": ""}, wantErr: routing.ErrInvalidShardID, msg: "empty shard id"},
		{name: "slash in id", table: "Singers", rec: map[string]any{"migration_shard_id": "a/b"}, wantErr: routing.ErrInvalidShardID, msg: `"a/b" contains '/'`},
		{name: "unknown shard", table: "Singers", rec: map[string]any{"migration_shard_id": "shard9"}, wantErr: routing.ErrUnknownShard, msg: `"shard9"`},
		{name: "custom fetcher", table: "NoShardCol", fetcher: fixedFetcher{id: "shard1"}, want: "shard1"},
		{name: "custom fetcher skips", table: "Singers", fetcher: fixedFetcher{id: "skip"}, wantErr: routing.ErrSkip},
		{name: "custom fetcher error", table: "Singers", fetcher: fixedFetcher{err: boom}, wantErr: boom},
		{name: "custom fetcher empty", table: "Singers", fetcher: fixedFetcher{}, wantErr: routing.ErrInvalidShardID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := routing.Router{Shards: map[string]bool{"shard1": true, "shard2": true, "1": true}, SkipDir: "skip", Tables: tables, Fetcher: tt.fetcher}
			got, err := r.Route(context.Background(), routing.Request{TableName: tt.table, SpannerRecord: tt.rec})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("Route = %q, %v; want error %v containing %q", got, err, tt.wantErr, tt.msg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Route = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSpannerRecord(t *testing.T) {
	tbl := schema.SpannerTable{Name: "T", Columns: []schema.SpannerColumn{
		{Name: "id", Type: "INT64"}, {Name: "f", Type: "FLOAT64"}, {Name: "nan", Type: "FLOAT64"}, {Name: "b", Type: "BOOL"},
		{Name: "by", Type: "BYTES(MAX)"}, {Name: "n", Type: "NUMERIC"}, {Name: "s", Type: "STRING(10)"},
		{Name: "ts", Type: "TIMESTAMP"}, {Name: "arr", Type: "ARRAY<INT64>"}, {Name: "pg", Type: "bigint"},
	}}
	got, err := routing.SpannerRecord(tbl, decoded(t, `{"id":"9007199254740993"}`,
		`{"f":1.5,"nan":"NaN","b":true,"by":"aGk=","n":"1.50","s":"x","ts":"2024-01-02T03:04:05Z","arr":["1","2"],"pg":"7","extra":{"a":1},"nul":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": int64(9007199254740993), "f": 1.5, "nan": "NaN", "b": true, "by": []byte("hi"), "n": "1.50", "s": "x",
		"ts": "2024-01-02T03:04:05Z", "arr": []any{"1", "2"}, "pg": int64(7), "extra": map[string]any{"a": float64(1)}, "nul": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SpannerRecord =\n%#v\nwant\n%#v", got, want)
	}
	for _, bad := range []string{`{"id":"x"}`, `{"b":"yes"}`, `{"by":"!!"}`} {
		if _, err := routing.SpannerRecord(tbl, decoded(t, bad, "")); err == nil || !strings.Contains(err.Error(), `table "T"`) {
			t.Errorf("SpannerRecord(%s) error = %v, want one naming the table", bad, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	routing.Register("test_fixed", func(params string) (routing.Fetcher, error) {
		if params == "bad" {
			return nil, errors.New("bad params")
		}
		return fixedFetcher{id: params}, nil
	})
	f, err := routing.New("test_fixed", "shard7")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := f.ShardID(context.Background(), routing.Request{}); id != "shard7" {
		t.Errorf("fetcher made with params shard7 answered %q", id)
	}
	if _, err := routing.New("test_fixed", "bad"); err == nil || !strings.Contains(err.Error(), `shardingCustomClassName "test_fixed": init with shardingCustomParameters: bad params`) {
		t.Errorf("init failure: %v", err)
	}
	if _, err := routing.New("nope", ""); err == nil || !strings.Contains(err.Error(), `"nope": no such shard fetcher`) || !strings.Contains(err.Error(), "test_fixed") {
		t.Errorf("unknown name: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice should panic")
		}
	}()
	routing.Register("test_fixed", nil)
}

// decoded decodes keys and new values as the shard-assignment stage does.
func decoded(t *testing.T, keys, vals string) record.Values {
	t.Helper()
	v, err := record.ModJSON{KeysJSON: keys, NewValuesJSON: vals}.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
