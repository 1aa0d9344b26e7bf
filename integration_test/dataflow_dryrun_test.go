package integration_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
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
	testenv.CreateDatabase(t, emu, id+"meta", false, nil)
	bin := testenv.BuildTemplate(t)

	cmd := exec.Command(bin,
		"--runner=dataflow", "--dry_run", "--project=p", "--region=us-central1",
		"--staging_location=gs://b/staging", "--temp_location=gs://b/tmp", "--max_num_workers=2",
		"--changeStreamName=items_cs", "--instanceId="+emu.Instance, "--databaseId="+id,
		"--spannerProjectId="+emu.Project, "--metadataInstance="+emu.Instance, "--metadataDatabase="+id+"meta",
		"--sourceShardsFilePath="+shardFile)
	cmd.Env = append(os.Environ(), "SPANNER_EMULATOR_HOST="+emu.Addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	job := string(out)
	for _, want := range []string{
		"JOB_TYPE_STREAMING",
		"changestream.Read/DetectPartitions",
		"changestream.Read/ReadPartition",
		"gs://b/tmp/dlq", // the DLQ defaults to the temp location
	} {
		if !strings.Contains(job, want) {
			t.Errorf("the dry-run job lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("dry-run output:\n%s", job)
	}
}
