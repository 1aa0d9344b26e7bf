package integration_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestReplicatesInsertUpdateDelete is the walking skeleton's end-to-end
// check: rows inserted, updated and deleted in Spanner while the pipeline
// runs end up in MariaDB exactly as in Spanner, and the shadow table holds
// a version for every key written.
func TestReplicatesInsertUpdateDelete(t *testing.T) {
	emu := testenv.Spanner(t)
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec(localenv.SampleMySQLDDL); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, admin, dsn)

	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	mainDB := testenv.CreateDatabase(t, emu, "main"+suffix, false, localenv.SampleSpannerDDL)
	testenv.CreateDatabase(t, emu, "meta"+suffix, false, nil)
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	start := time.Now().UTC()
	end := start.Add(20 * time.Second)
	cfg, err := params.Parse(params.Values{
		"changeStreamName": localenv.SampleStream, "instanceId": emu.Instance, "databaseId": "main" + suffix,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": "meta" + suffix,
		"sourceShardsFilePath": shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp": end.Format(time.RFC3339Nano), "deadLetterQueueDirectory": t.TempDir(),
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plan.ShadowTablesCreated, []string{"shadow_Singers"}) {
		t.Fatalf("shadow tables created = %v, want [shadow_Singers]", plan.ShadowTablesCreated)
	}

	// Write while the pipeline runs: the stream only has what is committed
	// after startTimestamp.
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		writes <- localenv.WriteSampleWorkload(ctx, client, 10, 100*time.Millisecond)
	}()

	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	if err := ptest.Run(p); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}

	mismatches, rows, err := localenv.CompareSingers(ctx, client, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mismatches {
		t.Error(m)
	}
	if rows != 6 {
		t.Errorf("the workload should leave 6 rows in Spanner, found %d", rows)
	}
	checkShadow(t, ctx, emu, "meta"+suffix, 10)
}

// checkShadow checks that the shadow table has a version for keys 1..n:
// every key was written, and deleted keys keep their delete's version.
func checkShadow(t *testing.T, ctx context.Context, emu *localenv.Emulator, metaID string, n int64) {
	t.Helper()
	meta, err := spanner.NewClient(ctx, emu.DatabasePath(metaID))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	var ids []int64
	err = meta.Single().Read(ctx, "shadow_Singers", spanner.AllKeys(), []string{"SingerId", "processed_commit_ts"}).Do(func(r *spanner.Row) error {
		var id int64
		var ts spanner.NullTime
		if err := r.Columns(&id, &ts); err != nil {
			return err
		}
		if !ts.Valid {
			t.Errorf("shadow row %d has no commit timestamp", id)
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var want []int64
	for i := int64(1); i <= n; i++ {
		want = append(want, i)
	}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("shadow rows for keys %v, want %v", ids, want)
	}
}
