package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestReadOnlyShardRefused points the launch at a server in read_only mode,
// as a replica is after a failover went the other way: every write would
// fail, so the launch refuses with the reason, and accepts once the server
// is writable. The server is private to this test, since read_only is
// global.
func TestReadOnlyShardRefused(t *testing.T) {
	srv := testenv.PrivateMariaDB(t)
	db, dsn := srv.Database(t, "ro_shard")
	if _, err := db.Exec("CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(100))"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, db, dsn)
	if _, err := db.Exec("SET GLOBAL read_only = ON"); err != nil {
		t.Fatal(err)
	}
	emu := testenv.Spanner(t)
	id := "ro" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100)) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM items_cs FOR Items OPTIONS (value_capture_type = 'NEW_ROW')",
	})
	testenv.CreateDatabase(t, emu, id+"meta", false, nil)
	cfg, err := params.Parse(params.Values{
		"changeStreamName": "items_cs", "instanceId": emu.Instance, "databaseId": id,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": id + "meta",
		"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": t.TempDir(),
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = pipeline.Prepare(ctx, cfg, pipeline.Env{})
	if err == nil || !strings.Contains(err.Error(), "the server is read_only (a replica?); replication needs the primary") {
		t.Fatalf("launch against a read_only server: %v, want a refusal that says so", err)
	}
	t.Logf("launch error:\n%v", err)

	if _, err := db.Exec("SET GLOBAL read_only = OFF"); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Prepare(ctx, cfg, pipeline.Env{}); err != nil {
		t.Fatalf("launch once the server is writable: %v", err)
	}
}
