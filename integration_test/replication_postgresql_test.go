package integration_test

import (
	"context"
	"fmt"
	"reflect"
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

// TestReplicatesToPostgreSQL is TestReplicatesInsertUpdateDelete with a
// PostgreSQL shard (sourceType=postgresql): rows inserted, updated and
// deleted in Spanner while the pipeline runs on prism end up in PostgreSQL
// exactly as in Spanner, and the shadow table holds a version for every
// key written (the apply protocol ran).
func TestReplicatesToPostgreSQL(t *testing.T) {
	emu := testenv.Spanner(t)
	d := testenv.PostgreSQL(t)
	if _, err := d.DB.Exec(localenv.SamplePostgreSQLDDL); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.PGShardFile(t, d)

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
		"sourceType":       "postgresql",
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

	mismatches, rows, err := localenv.CompareSingersPostgreSQL(ctx, client, d.DB)
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
