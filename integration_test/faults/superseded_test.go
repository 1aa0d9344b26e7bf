package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
)

// TestSecondLaunchSupersedesRunningJob runs the template binary as a
// process (job A) while changes stream in, and launches it again with the
// same parameters (job B) while A still runs, as an operator does who
// relaunches before the old job has stopped, or starts a second job by
// mistake. B's launch takes the metadata table; A must notice at its next
// write of partition state or poll, stop every part for good without
// failing a bundle (a runner retries failing bundles, Dataflow forever),
// say once that it was superseded and by which launch, store nothing more,
// and, being a local run that ends, exit non-zero saying why; so that B,
// resuming from the progress A had stored, replicates everything: MySQL
// ends equal to Spanner.
func TestSecondLaunchSupersedesRunningJob(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	mysqlDB, dsn := testenv.MySQL(t)
	if _, err := mysqlDB.Exec("CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(100), Ver BIGINT)"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, mysqlDB, dsn)
	suffix := fmt.Sprint(time.Now().UnixNano() % 1e9)
	mainID, metaID := "superseded"+suffix, "supersededmeta"+suffix
	mainDB := testenv.CreateDatabase(t, emu, mainID, false, []string{
		"CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100), Ver INT64) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM items_cs FOR Items OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')",
	})
	metaDB := testenv.CreateDatabase(t, emu, metaID, false, nil)
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	metaClient, err := spanner.NewClient(ctx, metaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer metaClient.Close()
	tableName := meta.DefaultTableName(mainID, "items_cs")
	job := meta.Table{Client: metaClient, Name: tableName}
	bin := testenv.BuildTemplate(t)
	dlqDir := t.TempDir()

	start := time.Now().UTC()
	end := start.Add(90 * time.Second)
	args := []string{
		"--changeStreamName=items_cs", "--instanceId=" + emu.Instance, "--databaseId=" + mainID,
		"--spannerProjectId=" + emu.Project, "--metadataInstance=" + emu.Instance, "--metadataDatabase=" + metaID,
		"--sourceShardsFilePath=" + shardFile, "--deadLetterQueueDirectory=" + dlqDir,
		"--startTimestamp=" + start.Format(time.RFC3339Nano), "--endTimestamp=" + end.Format(time.RFC3339Nano),
	}
	logDir := t.TempDir()
	a := startChild(t, bin, args, filepath.Join(logDir, "a.log"))

	w := &writer{client: client, rng: rand.New(rand.NewPCG(3, 5)), exists: map[int64]bool{}}
	w.lowKey.Store(1)
	written := make(chan error, 1)
	go func() { written <- w.run(ctx, end.Add(-10*time.Second)) }()
	defer w.stop.Store(true)

	var inMySQL int
	var progress time.Time
	waitUntil(t, a, "job A to apply changes and store its progress", end.Add(-50*time.Second), func() bool {
		if err := mysqlDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM Items").Scan(&inMySQL); err != nil {
			t.Fatal(err)
		}
		if inMySQL > 0 {
			progress = storedApplied(t, ctx, job)
		}
		return inMySQL >= 20 && progress.After(start.Add(time.Second))
	}, func() string {
		return fmt.Sprintf("%d rows in MySQL, applied watermark %s", inMySQL, progress.Format(time.RFC3339Nano))
	})
	if gen := storedGeneration(t, ctx, metaClient, tableName); gen != 1 {
		t.Fatalf("job A's launch stored generation %d, want 1", gen)
	}

	// B launches while A runs.
	if a.exited() {
		t.Fatalf("job A ended (%v) before B was launched\n%s", a.err, a.tail())
	}
	b := startChild(t, bin, args, filepath.Join(logDir, "b.log"))
	waitUntil(t, b, "job B to take the metadata table", end, func() bool {
		return storedGeneration(t, ctx, metaClient, tableName) == 2
	})
	tookAt := time.Now()
	appliedAtTake := storedApplied(t, ctx, job)

	// A must stop by itself (it may have already), with an error saying
	// why, soon: its applied-watermark tracker writes every two seconds.
	err = a.wait(tookAt.Add(time.Minute))
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("job A ended with %v after B took the table, want a failure\n%s", err, a.tail())
	}
	aLog, err := os.ReadFile(a.logPath)
	if err != nil {
		t.Fatal(err)
	}
	said, saidTimes, exitSaid := "", 0, false
	for _, line := range strings.Split(string(aLog), "\n") {
		if strings.Contains(line, "job superseded by generation 2, launched at ") {
			if said == "" {
				said = line
			}
			saidTimes++
		}
		// The exit comes from the superseded count, not from a failure.
		exitSaid = exitSaid || strings.Contains(line, "was superseded by a later launch")
		if strings.Contains(line, "pipeline failed") {
			t.Errorf("job A failed rather than stopped: %.600s", line)
		}
	}
	if saidTimes != 1 {
		t.Errorf("job A's output says %d times that it was superseded by generation 2, want once:\n%s", saidTimes, a.tail())
	}
	if !exitSaid {
		t.Errorf("job A's exit does not say it was superseded:\n%s", a.tail())
	}
	t.Logf("job A said: %.600s", said)
	t.Logf("job A stopped %s after B took the table (applied watermark then %s)",
		time.Since(tookAt).Round(time.Millisecond), appliedAtTake.Format(time.RFC3339Nano))

	if err := b.wait(end.Add(5 * time.Minute)); err != nil {
		t.Fatalf("job B did not end well: %v\n%s", err, b.tail())
	}
	if err := <-written; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if last := w.changes[len(w.changes)-1].at; !last.Before(end) {
		t.Fatalf("the writer committed at %s, after the end timestamp %s: the test ran too slowly to mean anything", last, end)
	}
	if gen := storedGeneration(t, ctx, metaClient, tableName); gen != 2 {
		t.Errorf("generation at the end %d, want 2 (B's)", gen)
	}

	rows, mismatches, err := localenv.CompareTable(ctx, client, []localenv.Shard{{DB: mysqlDB}}, localenv.Table{Name: "Items", Key: []string{"Id"}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := localenv.ReadDLQ(dlqDir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d changes written, %d rows compared, %d mismatches, %d DLQ lines", len(w.changes), rows, len(mismatches), len(lines))
	for _, m := range mismatches {
		t.Errorf("mismatch: %s", m)
	}
	if len(lines) > 0 {
		t.Errorf("the DLQ holds %d lines, want none; the first: %+v", len(lines), lines[0])
	}
	if got, want := storedApplied(t, ctx, job), end.Truncate(time.Millisecond).Add(time.Millisecond); !got.Equal(want) {
		t.Errorf("final applied watermark %s, want just past the end timestamp (%s)", got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
	if t.Failed() {
		t.Logf("job A's output:\n%s\njob B's output:\n%s", a.tail(), b.tail())
	}
}

// storedGeneration reads the generation of the launch that holds the
// metadata table; 0 before the first launch.
func storedGeneration(t *testing.T, ctx context.Context, c *spanner.Client, table string) int64 {
	t.Helper()
	row, err := c.Single().ReadRow(ctx, table+"_job", spanner.Key{"job"}, []string{"Generation"})
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
