package integration_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/secrets/secrettest"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// The Spanner schema of the Java template's SpannerToSourceDbInterleaveMultiShardIT,
// adapted: the emulator rejects the change stream option allow_txn_exclusion,
// so it is left out; IF NOT EXISTS is dropped (every database is new); and
// child21's "INTERLEAVE IN parent2" is written INTERLEAVE IN PARENT, which
// the emulator accepts. Table audit is ours: Spanner-only, not at the source.
var interleaveSpanner = []string{
	`CREATE TABLE parent1 (id INT64 NOT NULL, update_ts TIMESTAMP, in_ts TIMESTAMP, migration_shard_id STRING(50)) PRIMARY KEY(id)`,
	`CREATE TABLE parent2 (id INT64 NOT NULL, update_ts TIMESTAMP, in_ts TIMESTAMP, migration_shard_id STRING(50)) PRIMARY KEY(id)`,
	`CREATE TABLE child11 (child_id INT64 NOT NULL, parent_id INT64, update_ts TIMESTAMP, in_ts TIMESTAMP, migration_shard_id STRING(50)) PRIMARY KEY(child_id)`,
	`CREATE INDEX par_ind ON child11(parent_id)`,
	`CREATE TABLE child21 (child_id INT64 NOT NULL, id INT64 NOT NULL, update_ts TIMESTAMP, in_ts TIMESTAMP, migration_shard_id STRING(50)) PRIMARY KEY(id, child_id), INTERLEAVE IN PARENT parent2`,
	`CREATE INDEX par_ind_5 ON child21(id)`,
	`CREATE TABLE child31 (child_id INT64 NOT NULL, id INT64 NOT NULL, update_ts TIMESTAMP, in_ts TIMESTAMP, migration_shard_id STRING(50)) PRIMARY KEY(id, child_id), INTERLEAVE IN PARENT parent2 ON DELETE CASCADE`,
	`CREATE INDEX par_ind_6 ON child31(id)`,
	`CREATE TABLE audit (id INT64 NOT NULL, note STRING(100), migration_shard_id STRING(50)) PRIMARY KEY(id)`,
	`CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')`,
}

// The MySQL schema of that IT. Note child21 and child31 call the parent's
// key parent_id where Spanner says id: the session file maps the names.
var interleaveMySQL = []string{
	`CREATE TABLE parent1 ( id INT NOT NULL, update_ts timestamp DEFAULT NULL,
		in_ts timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id) )`,
	`CREATE TABLE child11 ( child_id INT, parent_id INT, update_ts timestamp DEFAULT NULL,
		in_ts timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
		INDEX par_ind (parent_id), FOREIGN KEY (parent_id) REFERENCES parent1(id), PRIMARY KEY (child_id) )`,
	`CREATE TABLE parent2 ( id INT NOT NULL, update_ts timestamp DEFAULT NULL,
		in_ts timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id) )`,
	`CREATE TABLE child21 ( child_id INT, parent_id INT, update_ts timestamp DEFAULT NULL,
		in_ts timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
		INDEX par_ind (parent_id), FOREIGN KEY (parent_id) REFERENCES parent2(id), PRIMARY KEY (child_id) )`,
	`CREATE TABLE child31 ( child_id INT, parent_id INT, update_ts timestamp DEFAULT NULL,
		in_ts timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
		INDEX par_ind2 (parent_id), FOREIGN KEY (parent_id) REFERENCES parent2(id), PRIMARY KEY (child_id) )`,
}

// interleaveSession writes a session file for those schemas, as
// spanner-migration-tool would for a sharded migration: each Spanner table
// has a migration_shard_id column, unknown at the source, that names the
// row's shard; child21.id and child31.id are parent_id at the source;
// audit exists in Spanner only.
func interleaveSession(t *testing.T) string {
	type col struct{ Name string }
	type table struct {
		Name          string
		ColIds        []string
		ColDefs       map[string]col
		ShardIdColumn string `json:",omitempty"`
	}
	mk := func(name string, cols []string, shard string) table {
		tb := table{Name: name, ColDefs: map[string]col{}, ShardIdColumn: shard}
		for i, c := range cols {
			id := fmt.Sprintf("%s_c%d", name, i)
			tb.ColIds = append(tb.ColIds, id)
			tb.ColDefs[id] = col{c}
		}
		return tb
	}
	sp, src := map[string]table{}, map[string]table{}
	for _, tb := range []struct {
		name     string
		spCols   []string
		srcCols  []string
		atSource bool
	}{
		{"parent1", []string{"id", "update_ts", "in_ts"}, nil, true},
		{"parent2", []string{"id", "update_ts", "in_ts"}, nil, true},
		{"child11", []string{"child_id", "parent_id", "update_ts", "in_ts"}, nil, true},
		{"child21", []string{"child_id", "id", "update_ts", "in_ts"}, []string{"child_id", "parent_id", "update_ts", "in_ts"}, true},
		{"child31", []string{"child_id", "id", "update_ts", "in_ts"}, []string{"child_id", "parent_id", "update_ts", "in_ts"}, true},
		{"audit", []string{"id", "note"}, nil, false},
	} {
		id := "t_" + tb.name
		// The shard column is the last Spanner column, absent at the source.
		spTable := mk(tb.name, append(tb.spCols, "migration_shard_id"), "")
		spTable.ShardIdColumn = spTable.ColIds[len(spTable.ColIds)-1]
		sp[id] = spTable
		if tb.atSource {
			cols := tb.srcCols
			if cols == nil {
				cols = tb.spCols
			}
			src[id] = mk(tb.name, cols, "")
		}
	}
	b, err := json.Marshal(map[string]any{"SpSchema": sp, "SrcSchema": src, "SyntheticPKeys": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "session.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestShardRoutingByColumn replicates the InterleaveMultiShardIT schemas
// into two MariaDB databases acting as shards, routing by each row's
// migration_shard_id, the shard-id column named by the session file:
// inserts, an update and deletes (whose shard is found by reading the row
// back from Spanner) land in the right shard, interleaved children with
// their renamed parent key; a table missing at the source goes to the skip
// directory, an unknown shard id to retry/, a NULL or malformed one to
// severe/. shard2's password comes from a Secret Manager fake, read at
// launch and by the workers.
func TestShardRoutingByColumn(t *testing.T) {
	emu := testenv.Spanner(t)
	db1, dsn1 := testenv.MySQL(t)
	db2, dsn2 := testenv.MySQL(t)
	execAll(t, db1, interleaveMySQL)
	execAll(t, db2, interleaveMySQL)
	testenv.ShardFile(t, db1, dsn1, dsn2) // creates the test user and grants it both databases
	fake := secrettest.Start(t, map[string]string{"projects/p/secrets/shard2/versions/latest": testenv.ShardPassword})
	shardFile := writeShardFile(t,
		shardSpec{ID: "shard1", DSN: dsn1, User: testenv.ShardUser, Password: testenv.ShardPassword},
		shardSpec{ID: "shard2", DSN: dsn2, User: testenv.ShardUser, Secret: "projects/p/secrets/shard2"})

	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	mainDB := testenv.CreateDatabase(t, emu, "shr"+suffix, false, interleaveSpanner)
	testenv.CreateDatabase(t, emu, "shrmeta"+suffix, false, nil)
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	dlqDir := t.TempDir()
	start := time.Now().UTC()
	cfg, err := params.Parse(params.Values{
		"changeStreamName": "allstream", "instanceId": emu.Instance, "databaseId": "shr" + suffix,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": "shrmeta" + suffix,
		"sourceShardsFilePath": shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp": start.Add(25 * time.Second).Format(time.RFC3339Nano), "deadLetterQueueDirectory": dlqDir,
		"sessionFilePath": interleaveSession(t),
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// retry/ is not re-read during the test, so what lands there stays.
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Accessed()); n != 1 {
		t.Errorf("the launch read the secret %d times, want 1", n)
	}

	writes := make(chan error, 1)
	go func() { writes <- shardWorkload(ctx, client, db1, db2) }()
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	if err := ptest.Run(p); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}
	if n := len(fake.Accessed()); n < 2 {
		t.Errorf("the workers did not read the secret (%d reads in all)", n)
	}

	expectRows(t, db1, "SELECT id FROM parent1 ORDER BY id", "1,3,5")
	expectRows(t, db2, "SELECT id FROM parent1 ORDER BY id", "2,4,6")
	expectRows(t, db1, "SELECT child_id FROM child11 ORDER BY child_id", "1,3")
	expectRows(t, db2, "SELECT child_id FROM child11 ORDER BY child_id", "2,4,6")
	expectRows(t, db1, "SELECT id FROM parent2 ORDER BY id", "1")
	expectRows(t, db2, "SELECT id FROM parent2 ORDER BY id", "2")
	expectRows(t, db1, "SELECT id FROM parent1 WHERE update_ts = '2024-05-01 10:00:00'", "1")
	expectRows(t, db1, "SELECT CONCAT(child_id, ':', parent_id) FROM child21 ORDER BY child_id", "10:1")
	expectRows(t, db2, "SELECT CONCAT(child_id, ':', parent_id) FROM child21 ORDER BY child_id", "20:2")
	expectRows(t, db1, "SELECT CONCAT(child_id, ':', parent_id) FROM child31 ORDER BY child_id", "")
	expectRows(t, db2, "SELECT CONCAT(child_id, ':', parent_id) FROM child31 ORDER BY child_id", "30:2")

	skipped := readAll(t, dlqFiles(t, dlqDir, "skip"))
	if !strings.Contains(skipped, `"tableName":"audit"`) || strings.Count(skipped, "\n") != 1 {
		t.Errorf("skip/ should hold the audit row only, has:\n%s", skipped)
	}
	retry := readAll(t, dlqFiles(t, dlqDir, dlq.RetryDir))
	if !strings.Contains(retry, `{\"id\":\"100\"}`) || !strings.Contains(retry, `shard id \"shard9\": logical shard id is not in the shard file`) ||
		strings.Count(retry, "\n") != 1 {
		t.Errorf("retry/ should hold the row with the unknown shard id only, has:\n%s", retry)
	}
	severe := readAll(t, dlqFiles(t, dlqDir, dlq.SevereDir))
	for _, want := range []string{`{\"id\":\"50\"}`, `shard-id column \"migration_shard_id\" is NULL`, `{\"id\":\"51\"}`, `shard id \"a/b\" contains '/'`} {
		if !strings.Contains(severe, want) {
			t.Errorf("severe/ lacks %s; has:\n%s", want, severe)
		}
	}
	if n := strings.Count(severe, "\n"); n != 2 {
		t.Errorf("severe/ has %d lines, want 2:\n%s", n, severe)
	}
}

// shardWorkload writes rows for both shards. Children are written once
// their parents are in MySQL: the pipeline keeps no order across tables,
// and a child before its parent would go through retry/.
func shardWorkload(ctx context.Context, c *spanner.Client, db1, db2 *sql.DB) error {
	time.Sleep(2 * time.Second)
	shardOf := func(id int64) string { return map[bool]string{true: "shard1", false: "shard2"}[id%2 == 1] }
	var ms []*spanner.Mutation
	for id := int64(1); id <= 7; id++ {
		if id == 7 {
			ms = append(ms, spanner.Insert("parent1", []string{"id", "migration_shard_id"}, []any{id, "shard1"}))
			continue
		}
		ms = append(ms, spanner.Insert("parent1", []string{"id", "migration_shard_id"}, []any{id, shardOf(id)}))
	}
	ms = append(ms,
		spanner.Insert("parent2", []string{"id", "migration_shard_id"}, []any{int64(1), "shard1"}),
		spanner.Insert("parent2", []string{"id", "migration_shard_id"}, []any{int64(2), "shard2"}),
		spanner.Insert("audit", []string{"id", "note", "migration_shard_id"}, []any{int64(1), "not at the source", "shard1"}),
		spanner.Insert("parent1", []string{"id", "migration_shard_id"}, []any{int64(100), "shard9"}),
		spanner.Insert("parent2", []string{"id", "migration_shard_id"}, []any{int64(50), nil}),
		spanner.Insert("parent2", []string{"id", "migration_shard_id"}, []any{int64(51), "a/b"}),
	)
	if _, err := c.Apply(ctx, ms); err != nil {
		return err
	}
	if err := waitForRows(ctx, db1, "SELECT COUNT(*) FROM parent1", 4); err != nil {
		return err
	}
	if err := waitForRows(ctx, db2, "SELECT COUNT(*) FROM parent1", 3); err != nil {
		return err
	}
	ms = nil
	for id := int64(1); id <= 6; id++ {
		ms = append(ms, spanner.Insert("child11", []string{"child_id", "parent_id", "migration_shard_id"}, []any{id, id, shardOf(id)}))
	}
	for _, c := range []struct {
		table         string
		parent, child int64
	}{{"child21", 1, 10}, {"child21", 2, 20}, {"child21", 2, 21}, {"child31", 2, 30}} {
		ms = append(ms, spanner.Insert(c.table, []string{"id", "child_id", "migration_shard_id"}, []any{c.parent, c.child, shardOf(c.parent)}))
	}
	ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ms = append(ms, spanner.Update("parent1", []string{"id", "update_ts"}, []any{int64(1), ts}))
	if _, err := c.Apply(ctx, ms); err != nil {
		return err
	}
	// Deletes carry only keys: the shard comes from reading the row back.
	if _, err := c.Apply(ctx, []*spanner.Mutation{
		spanner.Delete("parent1", spanner.Key{int64(7)}),
		spanner.Delete("child11", spanner.Key{int64(5)}),
		spanner.Delete("child21", spanner.Key{int64(2), int64(21)}),
	}); err != nil {
		return err
	}
	return nil
}

// waitForRows waits until q counts at least n rows.
func waitForRows(ctx context.Context, db *sql.DB, q string, n int) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got int
		if err := db.QueryRowContext(ctx, q).Scan(&got); err != nil {
			return err
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d rows after 15 s, want %d", q, got, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
