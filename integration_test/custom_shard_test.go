package integration_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin/plugintest"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// The schemas of the Java template's SpannerToSourceDbCustomShardIT, adapted:
// the emulator rejects allow_txn_exclusion, and Audit is ours (a table the
// custom module skips).
var customShardSpanner = []string{
	`CREATE TABLE Singers (SingerId INT64 NOT NULL, FirstName STRING(MAX)) PRIMARY KEY(SingerId)`,
	`CREATE TABLE Audit (Id INT64 NOT NULL, Note STRING(MAX)) PRIMARY KEY(Id)`,
	`CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')`,
}

var customShardMySQL = []string{
	`CREATE TABLE Singers (SingerId INT NOT NULL, FirstName VARCHAR(50), PRIMARY KEY(SingerId))`,
	`CREATE TABLE Audit (Id INT NOT NULL, Note VARCHAR(50), PRIMARY KEY(Id))`,
}

// exampleModule builds the example shard module shipped with the template.
func exampleModule(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shard_by_column.wasm")
	if err := os.WriteFile(path, plugintest.Build(t, "github.com/revrepl/spanner-to-sourcedb/io/plugin/examples/shardbycolumn"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCustomShardModule routes with the example WebAssembly module: even
// SingerIds to shardA, odd ones to shardB, including a delete (the module
// sees the row read back from Spanner), and the module's "skip" answer for
// table Audit sends those rows to the skip directory.
func TestCustomShardModule(t *testing.T) {
	emu := testenv.Spanner(t)
	dbA, dsnA := testenv.MySQL(t)
	dbB, dsnB := testenv.MySQL(t)
	execAll(t, dbA, customShardMySQL)
	execAll(t, dbB, customShardMySQL)
	testenv.ShardFile(t, dbA, dsnA, dsnB)
	shardFile := writeShardFile(t,
		shardSpec{ID: "shardA", DSN: dsnA, User: testenv.ShardUser, Password: testenv.ShardPassword},
		shardSpec{ID: "shardB", DSN: dsnB, User: testenv.ShardUser, Password: testenv.ShardPassword})
	module := exampleModule(t)

	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	mainDB := testenv.CreateDatabase(t, emu, "cus"+suffix, false, customShardSpanner)
	testenv.CreateDatabase(t, emu, "cusmeta"+suffix, false, nil)
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	dlqDir := t.TempDir()
	start := time.Now().UTC()
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		var ms []*spanner.Mutation
		for id := int64(1); id <= 6; id++ {
			ms = append(ms, spanner.Insert("Singers", []string{"SingerId", "FirstName"}, []any{id, fmt.Sprintf("singer%d", id)}))
		}
		ms = append(ms, spanner.Insert("Audit", []string{"Id", "Note"}, []any{int64(1), "skipped by the module"}))
		if _, err := client.Apply(ctx, ms); err != nil {
			writes <- err
			return
		}
		time.Sleep(time.Second)
		_, err := client.Apply(ctx, []*spanner.Mutation{
			spanner.Delete("Singers", spanner.Key{int64(4)}),
			spanner.Update("Singers", []string{"SingerId", "FirstName"}, []any{int64(5), "renamed"}),
		})
		writes <- err
	}()
	cfg, err := params.Parse(params.Values{
		"changeStreamName": "allstream", "instanceId": emu.Instance, "databaseId": "cus" + suffix,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": "cusmeta" + suffix,
		"sourceShardsFilePath": shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp": start.Add(15 * time.Second).Format(time.RFC3339Nano), "deadLetterQueueDirectory": dlqDir,
		"shardingCustomJarPath": module, "shardingCustomClassName": "shard_id",
		"shardingCustomParameters": `{"column":"SingerId","shards":["shardA","shardB"],"skipTables":["Audit"]}`,
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}

	expectRows(t, dbA, "SELECT SingerId FROM Singers ORDER BY SingerId", "2,6")
	expectRows(t, dbB, "SELECT SingerId FROM Singers ORDER BY SingerId", "1,3,5")
	expectRows(t, dbB, "SELECT SingerId FROM Singers WHERE FirstName = 'renamed'", "5")
	expectRows(t, dbA, "SELECT Id FROM Audit", "")
	expectRows(t, dbB, "SELECT Id FROM Audit", "")
	skipped := readAll(t, dlqFiles(t, dlqDir, "skip"))
	if !strings.Contains(skipped, `"tableName":"Audit"`) || strings.Count(skipped, "\n") != 1 {
		t.Errorf("skip/ should hold the Audit row only, has:\n%s", skipped)
	}
	// 9 changes: 6 inserts, the Audit row, a delete and an update.
	var calls int64
	for _, d := range res.Metrics().Query(func(r metrics.SingleResult) bool { return r.Name() == "custom_shard_id_impl_latency_ms" }).Distributions() {
		calls += d.Result().Count
	}
	if calls < 9 {
		t.Errorf("custom_shard_id_impl_latency_ms counted %d calls, want at least 9", calls)
	}
	for _, sub := range []string{"retry", "severe"} {
		if files := dlqFiles(t, dlqDir, sub); len(files) > 0 {
			t.Errorf("%s/ should be empty, has:\n%s", sub, readAll(t, files))
		}
	}
}

// evenOdd is a compiled-in shard fetcher: even integer values of the
// column named by its parameters go to the first shard, odd to the second.
type evenOdd struct{ column string }

func (e evenOdd) ShardID(_ context.Context, req routing.Request) (string, error) {
	v, ok := req.SpannerRecord[e.column].(int64)
	if !ok {
		return "", errors.New("no integer " + e.column)
	}
	return map[bool]string{true: "shardA", false: "shardB"}[v%2 == 0], nil
}

func init() {
	routing.Register("even_odd_for_tests", func(params string) (routing.Fetcher, error) {
		if params == "" {
			return nil, errors.New("name the column")
		}
		return evenOdd{column: params}, nil
	})
}

// TestCompiledInShardFetcher makes fetchers the way workers do: a name of
// the compiled-in registry alone, or a module's function.
func TestCompiledInShardFetcher(t *testing.T) {
	ctx := context.Background()
	module := exampleModule(t)
	tests := []struct {
		name    string
		custom  plugin.Spec
		rec     map[string]any
		want    string
		wantErr string
	}{
		{name: "registry", custom: plugin.Spec{Name: "even_odd_for_tests", Params: "SingerId"},
			rec: map[string]any{"SingerId": int64(4)}, want: "shardA"},
		{name: "registry init fails", custom: plugin.Spec{Name: "even_odd_for_tests"},
			wantErr: `shardingCustomClassName "even_odd_for_tests": init with shardingCustomParameters: name the column`},
		{name: "registry unknown name", custom: plugin.Spec{Name: "ShardByRegion"},
			wantErr: `shardingCustomClassName "ShardByRegion": no such shard fetcher in this build (registered: [even_odd_for_tests])`},
		{name: "module", custom: plugin.Spec{ModulePath: module, Name: "shard_id", Params: `{"column":"SingerId","shards":["a","b","c"]}`},
			rec: map[string]any{"SingerId": int64(5)}, want: "c"},
		{name: "module error answer", custom: plugin.Spec{ModulePath: module, Name: "shard_id", Params: `{"column":"SingerId","shards":["a"]}`},
			rec: map[string]any{}, wantErr: "the module reported an error: table T: no value for column SingerId"},
		{name: "module function missing", custom: plugin.Spec{ModulePath: module, Name: "getShardId"},
			wantErr: `shardingCustomClassName "getShardId": the module ` + module + ` exports no such function`},
		{name: "module refuses parameters", custom: plugin.Spec{ModulePath: module, Name: "shard_id", Params: "{}"},
			wantErr: "shardingCustomParameters: plugin " + module + ": init with the custom parameters: the module reported an error: parameters need a column"},
		{name: "module file missing", custom: plugin.Spec{ModulePath: module + ".nope", Name: "shard_id"},
			wantErr: "shardingCustomJarPath " + module + ".nope: cannot read"},
		{name: "module without function name", custom: plugin.Spec{ModulePath: module},
			wantErr: "shardingCustomClassName must name the module's shard function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, closeFetcher, err := transforms.NewShardFetcher(ctx, tt.custom)
			if err == nil {
				defer closeFetcher()
				var id string
				id, err = f.ShardID(ctx, routing.Request{TableName: "T", SpannerRecord: tt.rec})
				if err == nil && id != tt.want {
					t.Fatalf("shard %q, want %q", id, tt.want)
				}
			}
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
