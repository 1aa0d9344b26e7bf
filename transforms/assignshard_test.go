package transforms

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/shardkey"
)

type emitted struct {
	key int64
	rec record.Record
}

func TestAssignShard(t *testing.T) {
	sp := schema.Spanner{Tables: map[string]schema.SpannerTable{
		"Singers": {Name: "Singers", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "shard", Type: "STRING(20)"}},
			PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
		"Audit": {Name: "Audit", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}}, PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
	}}
	multi := AssignConfig{
		Buckets: 8, Shards: []string{"s1", "s2"}, Spanner: sp, DLQ: DeadLetterConfig{SkipDir: "skip"},
		Tables: routing.StaticTables{ShardIDColumns: map[string]string{"Singers": "shard"}, SourceTables: map[string]bool{"Singers": true}},
	}
	upsert := func(id, shard string) record.Record {
		return record.Record{TableName: "Singers", ModType: record.ModInsert, RecordSequence: "1",
			Mod: record.ModJSON{KeysJSON: `{"Id":"` + id + `"}`, NewValuesJSON: `{"shard":"` + shard + `"}`}}
	}
	del := func(table, id string) record.Record {
		return record.Record{TableName: table, ModType: record.ModDelete, RecordSequence: "1",
			Mod: record.ModJSON{KeysJSON: `{"Id":"` + id + `"}`, NewValuesJSON: "{}"}}
	}
	retried := del("Singers", "3")
	retried.Mod.NewValuesJSON = `{"shard":"s1"}`

	tests := []struct {
		name      string
		cfg       AssignConfig
		in        record.Record
		wantShard string // "" when the record goes to the DLQ
		wantDir   string
		wantMsg   string
	}{
		{name: "single shard takes everything", cfg: AssignConfig{Single: "single_shard", Buckets: 8}, in: del("Gone", "1"), wantShard: "single_shard"},
		{name: "shard-id column", cfg: multi, in: upsert("1", "s2"), wantShard: "s2"},
		{name: "delete completed with its row (Complete) routes by it", cfg: multi, in: retried, wantShard: "s1"},
		{name: "unknown shard", cfg: multi, in: upsert("6", "s9"), wantDir: "retry", wantMsg: `shard id "s9": logical shard id is not in the shard file`},
		{name: "malformed shard id", cfg: multi, in: upsert("7", "a/b"), wantDir: "severe", wantMsg: "contains '/'"},
		{name: "table not at the source, no read", cfg: multi, in: del("Audit", "8"), wantDir: "skip", wantMsg: "Skipped record from reverse replication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := tt.cfg
			cfg.DLQ.Root = t.TempDir()
			f := &assignShardFn{AssignConfig: cfg}
			if err := f.Setup(ctx); err != nil {
				t.Fatal(err)
			}
			defer f.Teardown()
			var out []emitted
			emit := func(k int64, r record.Record) { out = append(out, emitted{k, r}) }
			// The record came from a DLQ file: once filed in the DLQ, it
			// is reported done for the file's deletion.
			in := tt.in
			in.Origin, in.OriginIndex = "read1", 7
			done := map[string][]int64{}
			report := func(_ beam.EventTime, read string, c FileCount) { done[read] = append(done[read], c.Done...) }
			if err := f.ProcessElement(ctx, in, emit, report); err != nil {
				t.Fatal(err)
			}
			if err := f.FinishBundle(ctx, emit, report); err != nil {
				t.Fatal(err)
			}
			wantDone := map[string][]int64{}
			if tt.wantShard == "" {
				wantDone["read1"] = []int64{7}
			}
			if fmt.Sprint(done) != fmt.Sprint(wantDone) {
				t.Errorf("reported %v done, want %v", done, wantDone)
			}
			lines := dlqLines(t, cfg.DLQ.Root)
			if tt.wantShard != "" {
				if len(out) != 1 || out[0].rec.Shard != tt.wantShard || len(lines) > 0 {
					t.Fatalf("emitted %+v, DLQ %v; want one record for shard %s", out, lines, tt.wantShard)
				}
				r := out[0].rec
				if want := shardkey.Of(r.TableName, r.Mod.KeysJSON, tt.wantShard, cfg.Buckets); out[0].key != want {
					t.Errorf("key %d, want %d", out[0].key, want)
				}
				return
			}
			if len(out) != 0 || len(lines[tt.wantDir]) != 1 || len(lines) != 1 {
				t.Fatalf("emitted %+v, DLQ %v; want one line in %s/", out, lines, tt.wantDir)
			}
			rec, msg, err := dlq.Decode([]byte(lines[tt.wantDir][0]))
			if err != nil || rec.Mod.KeysJSON != tt.in.Mod.KeysJSON || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("DLQ line of keys %s with message %q (%v), want keys %s and a message containing %q",
					rec.Mod.KeysJSON, msg, err, tt.in.Mod.KeysJSON, tt.wantMsg)
			}
		})
	}
}

// dlqLines returns the DLQ lines under root by top directory.
func dlqLines(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			top := strings.SplitN(rel, string(filepath.Separator), 2)[0]
			out[top] = append(out[top], l)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}
