package integration_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// TestBoundedRunSummary launches the template binary on prism for a
// bounded run over changes already committed, and checks the line it ends
// with: three change records (one of two rows), one row of a table MySQL
// lacks (skipped), three applied.
func TestBoundedRunSummary(t *testing.T) {
	emu := testenv.Spanner(t)
	db, dsn := testenv.MySQL(t)
	if _, err := db.Exec("CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(100))"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, db, dsn)
	id := "sum" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	mainDB := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100)) PRIMARY KEY (Id)",
		"CREATE TABLE Extra (Id INT64 NOT NULL) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM all_cs FOR ALL OPTIONS (value_capture_type = 'NEW_ROW')",
	})
	testenv.CreateDatabase(t, emu, id+"meta", false, nil)
	bin := testenv.BuildTemplate(t)

	ctx := context.Background()
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	start := time.Now().UTC()
	for _, ms := range [][]*spanner.Mutation{
		{spanner.Insert("Items", []string{"Id", "Name"}, []any{1, "a"}), spanner.Insert("Items", []string{"Id", "Name"}, []any{2, "b"})},
		{spanner.Insert("Items", []string{"Id", "Name"}, []any{3, "c"})},
		{spanner.Insert("Extra", []string{"Id"}, []any{1})},
	} {
		if _, err := client.Apply(ctx, ms); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Now().UTC().Add(time.Second)
	time.Sleep(time.Until(end))

	cmd := exec.Command(bin,
		"--changeStreamName=all_cs", "--instanceId="+emu.Instance, "--databaseId="+id,
		"--spannerProjectId="+emu.Project, "--metadataInstance="+emu.Instance, "--metadataDatabase="+id+"meta",
		"--sourceShardsFilePath="+shardFile, "--deadLetterQueueDirectory="+t.TempDir(),
		"--startTimestamp="+start.Format(time.RFC3339Nano), "--endTimestamp="+end.Format(time.RFC3339Nano))
	cmd.Env = append(os.Environ(), "SPANNER_EMULATOR_HOST="+emu.Addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("template: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	want := "summary: change_records_read=3 rows_read=4 dlq_rows_read=0 rows_applied=3 rows_older=0 rows_skipped=1 rows_filtered=0 rows_to_retry=0 rows_to_severe=0"
	if last := lines[len(lines)-1]; last != want {
		t.Errorf("the run ended with\n %s\nwant\n %s\nstderr:\n%s", last, want, stderr.String())
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM Items").Scan(&n); err != nil || n != 3 {
		t.Errorf("MySQL has %d items (%v), want 3", n, err)
	}
}

// A bad logLevel is refused before anything starts, naming the parameter.
func TestLogLevelRefused(t *testing.T) {
	bin := testenv.BuildTemplate(t)
	out, err := exec.Command(bin, "--logLevel=LOUD").CombinedOutput()
	if err == nil || !strings.Contains(string(out), fmt.Sprintf("%s: value %q", "logLevel", "LOUD")) {
		t.Errorf("template with logLevel=LOUD: %v\n%s", err, out)
	}
}
