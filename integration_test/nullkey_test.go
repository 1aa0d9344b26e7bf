package integration_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestNullKeyColumnReplicates runs the pipeline over a table whose Spanner
// key (A, B) has a nullable column. Rows with a NULL B are inserted, updated
// and deleted; they used to fail every batch holding them (the shadow read
// refused the untyped nil key) and end the job on prism. MySQL cannot hold
// NULL in a primary key and treats NULLs in a UNIQUE key as distinct (an
// upsert of (1, NULL) would add a second row), so the MySQL table is keyed
// by A alone.
func TestNullKeyColumnReplicates(t *testing.T) {
	emu := testenv.Spanner(t)
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec("CREATE TABLE Pairs (A BIGINT NOT NULL PRIMARY KEY, B BIGINT NULL, V VARCHAR(20))"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, admin, dsn)
	id := fmt.Sprintf("nullkey%d", time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE Pairs (A INT64 NOT NULL, B INT64, V STRING(20)) PRIMARY KEY (A, B)",
		"CREATE CHANGE STREAM pairstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')",
	})
	testenv.CreateDatabase(t, emu, id+"meta", false, nil)
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	root := t.TempDir()
	start := time.Now().UTC()
	values := params.Values{
		"changeStreamName": "pairstream", "instanceId": emu.Instance, "databaseId": id,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": id + "meta",
		"sourceShardsFilePath": shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp": start.Add(15 * time.Second).Format(time.RFC3339Nano), "deadLetterQueueDirectory": root,
	}
	cols := []string{"A", "B", "V"}
	null := spanner.NullInt64{}
	steps := [][]*spanner.Mutation{
		{spanner.Insert("Pairs", cols, []any{int64(1), null, "a"}), spanner.Insert("Pairs", cols, []any{int64(2), null, "b"}),
			spanner.Insert("Pairs", cols, []any{int64(3), int64(7), "c"}), spanner.Insert("Pairs", cols, []any{int64(4), null, "d"})},
		{spanner.Update("Pairs", cols, []any{int64(1), null, "a2"}), spanner.Delete("Pairs", spanner.Key{int64(2), null}),
			spanner.Update("Pairs", cols, []any{int64(3), int64(7), "c2"})},
		{spanner.Insert("Pairs", cols, []any{int64(5), null, "e"}), spanner.Delete("Pairs", spanner.Key{int64(4), null})},
		{spanner.Update("Pairs", cols, []any{int64(5), null, "e2"})},
	}
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		for _, ms := range steps {
			if _, err := client.Apply(ctx, ms); err != nil {
				writes <- err
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		writes <- nil
	}()
	testrun.Pipeline(t, ctx, values, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200})
	if err := <-writes; err != nil {
		t.Fatal(err)
	}
	expectRows(t, admin, "SELECT CONCAT(A, '/', COALESCE(B, '-'), '/', V) FROM Pairs ORDER BY A", "1/-/a2,3/7/c2,5/-/e2")
	for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
		if files := dlqFiles(t, root, sub); len(files) != 0 {
			t.Errorf("%s/ holds %s", sub, readAll(t, files))
		}
	}
	// Every key has its shadow row, the NULL ones included.
	meta, err := spanner.NewClient(ctx, emu.DatabasePath(id+"meta"))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	var keys []string
	err = meta.Single().Read(ctx, "shadow_Pairs", spanner.AllKeys(), []string{"A", "B"}).Do(func(r *spanner.Row) error {
		var a, b spanner.NullInt64
		if err := r.Columns(&a, &b); err != nil {
			return err
		}
		keys = append(keys, fmt.Sprintf("%v/%v", a, b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(keys), "[1/<null> 2/<null> 3/7 4/<null> 5/<null>]"; got != want {
		t.Errorf("shadow rows %s, want %s", got, want)
	}
}
