package integration_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
)

// TestDataflowDryRun launches the template binary as Dataflow's launcher
// would, with --runner=dataflow --dry_run: the launch-time checks run
// against the emulator and MariaDB, then the Dataflow runner translates the
// graph into the job it would submit, offline. A graph Dataflow cannot run
// (an unregistered type, a batch job, a missing stage) fails here rather
// than at the user's first launch.
func TestDataflowDryRun(t *testing.T) {
	emu := testenv.Spanner(t)
	db, dsn := testenv.MySQL(t)
	if _, err := db.Exec("CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(100))"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, db, dsn)
	id := "dry" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100)) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM items_cs FOR Items OPTIONS (value_capture_type = 'NEW_ROW')",
	})
	metaDB := testenv.CreateDatabase(t, emu, id+"meta", false, nil)
	bin := testenv.BuildTemplate(t)

	dryRun := func(extra ...string) string {
		t.Helper()
		if extra == nil {
			extra = []string{"--max_num_workers=2"}
		}
		cmd := exec.Command(bin, append([]string{
			"--runner=dataflow", "--dry_run", "--project=p", "--region=us-central1",
			"--staging_location=gs://b/staging", "--temp_location=gs://b/tmp",
			"--changeStreamName=items_cs", "--instanceId=" + emu.Instance, "--databaseId=" + id,
			"--spannerProjectId=" + emu.Project, "--metadataInstance=" + emu.Instance, "--metadataDatabase=" + id + "meta",
			"--sourceShardsFilePath=" + shardFile}, extra...)...)
		cmd.Env = append(os.Environ(), "SPANNER_EMULATOR_HOST="+emu.Addr)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("dry run: %v\n%s", err, out)
		}
		return string(out)
	}
	job := dryRun()

	// A dry run submits nothing, so it must take nothing either: taking
	// the partition metadata table stops the job running on it.
	ctx := context.Background()
	metaClient, err := spanner.NewClient(ctx, metaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer metaClient.Close()
	table := meta.Table{Client: metaClient, Name: meta.DefaultTableName(id, "items_cs")}
	if gen := jobGeneration(t, ctx, table); gen != 0 {
		t.Errorf("a first dry run took the metadata table as generation %d, want it untaken (0)", gen)
	}
	// The same for a dry run beside a running job (generation 1).
	if _, err := table.Launch(ctx, meta.Identity{Stream: "items_cs", Start: time.Now().UTC(), End: meta.Unbounded}, 1000); err != nil {
		t.Fatal(err)
	}
	dryRun()
	if gen := jobGeneration(t, ctx, table); gen != 1 {
		t.Errorf("a dry relaunch left the metadata table at generation %d, want 1: it superseded the running job", gen)
	}
	if want := "max_connections_per_worker_per_shard=5000"; !strings.Contains(job, want) {
		t.Errorf("with --max_num_workers=2 the launch log lacks %q", want)
	}
	// Without max_num_workers (a launcher that does not pass it) each
	// worker gets the default budget of 10000 shared by Dataflow's
	// default cap of 100 workers, with a warning, not all 10000.
	noMax := dryRun([]string{}...)
	for _, want := range []string{"max_connections_per_worker_per_shard=100", "did not pass max_num_workers"} {
		if !strings.Contains(noMax, want) {
			t.Errorf("without --max_num_workers the launch log lacks %q", want)
		}
	}
	for _, want := range []string{
		"JOB_TYPE_STREAMING",
		"changestream.Read/DetectPartitions",
		"changestream.Read/ReadPartition",
		"gs://b/tmp/dlq", // the DLQ defaults to the temp location
		// Workers apply logLevel and send fields (io/logs hook).
		`revrepl_logging\\\":[\\\"level=INFO\\\",\\\"fields=true\\\"]`,
	} {
		if !strings.Contains(job, want) {
			t.Errorf("the dry-run job lacks %q", want)
		}
	}
	if strings.Contains(job, "default_remote_logging") {
		t.Error("the dry-run job enables Beam's own remote logging beside the field sender")
	}
	if t.Failed() {
		t.Logf("dry-run output:\n%s", job)
	}

	// runMode=verify is a batch job of its own graph.
	verifyJob := dryRun("--max_num_workers=2", "--runMode=verify", "--verifyRepair=true")
	for _, want := range []string{
		"JOB_TYPE_BATCH",
		"Verify/PlanSpannerReads",
		"Verify/ReadSpanner",
		"Verify/ReadTarget",
		"Verify/Compare",
		"Verify/Settle",
		"Verify/Summary",
		"gs://b/tmp/dlq/verify/", // results beside the DLQ folders
	} {
		if !strings.Contains(verifyJob, want) {
			t.Errorf("the verify dry-run job lacks %q", want)
		}
	}
	if strings.Contains(verifyJob, "changestream.Read") {
		t.Error("the verify job reads the change stream")
	}
	if t.Failed() {
		t.Logf("verify dry-run output:\n%s", verifyJob)
	}
}

// jobGeneration reads the generation stored in the job row of a partition
// metadata table; 0 when there is no job row.
func jobGeneration(t *testing.T, ctx context.Context, table meta.Table) int64 {
	t.Helper()
	row, err := table.Client.Single().ReadRow(ctx, table.Name+"_job", spanner.Key{"job"}, []string{"Generation"})
	if errors.Is(err, spanner.ErrRowNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var gen spanner.NullInt64
	if err := row.Column(0, &gen); err != nil {
		t.Fatal(err)
	}
	return gen.Int64
}
