package integration_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// TestRetryAllDLQ runs runMode=retryAllDLQ on a DLQ written by hand: the
// records of retry/ and severe/ that can now be applied reach MariaDB and
// their files are removed, the record that still fails goes back to severe/
// with the new error (and that file is not read again), and retry/ keeps
// being polled. As documented (pipeline/dlq.go, docs/dead-letter-queue.md, and the Java
// template, where this mode is a streaming job that never ends), the job
// does not stop on its own: the operator stops it once retry/ stays empty,
// as this test does by cancelling it.
func TestRetryAllDLQ(t *testing.T) {
	f := newFamily(t, "all")
	ctx := context.Background()
	// The parent of the children below is already at the source: what
	// made them fail has been fixed.
	if _, err := f.admin.Exec("INSERT INTO Parents (Id, Name) VALUES (10, 'p')"); err != nil {
		t.Fatal(err)
	}
	const fkError = "MySQL: Error 1452 (23000): Cannot add or update a child row: a foreign key constraint fails"
	const tooLongError = "MySQL: Error 1406 (22001): Data too long for column 'Label' at row 1"
	root := t.TempDir()
	retryFile := filepath.Join(root, "retry/2024/06/10/06/13/error-hand.json")
	writeFile(t, retryFile, javaLine+"\n"+childLine(t, 1, 10, "ok", fkError)+"\n")
	severeFile := filepath.Join(root, "severe/2024/06/10/06/13/error-hand.json")
	writeFile(t, severeFile, childLine(t, 2, 10, "fixed", fkError)+"\n"+
		childLine(t, 3, 10, "far too long", tooLongError)+"\n")

	values := f.values(0)
	delete(values, "startTimestamp")
	delete(values, "endTimestamp")
	values["deadLetterQueueDirectory"] = root
	values["runMode"] = "retryAllDLQ"
	cfg, err := params.Parse(values, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{RetryPoll: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	job := startJob(t, p)

	waitUntil(t, job, "the DLQ records to be applied and their files removed", func() bool {
		return strings.Join(rows(t, f.admin, "SELECT Id FROM Parents ORDER BY Id"), ",") == "10,20" &&
			strings.Join(rows(t, f.admin, "SELECT Id FROM Children ORDER BY Id"), ",") == "1,2" &&
			gone(retryFile) && gone(severeFile) && len(dlqLines(t, root, dlq.SevereDir)) > 0
	})
	resevered := dlqFiles(t, root, dlq.SevereDir)
	checkResevered(t, root)

	// A file that reaches retry/ later proves the poller still runs.
	late := filepath.Join(root, "retry/2024/06/10/06/20/error-late.json")
	writeFile(t, late, childLine(t, 4, 20, "late", fkError)+"\n")
	waitUntil(t, job, "the late retry/ file to be applied and removed", func() bool {
		return strings.Join(rows(t, f.admin, "SELECT Id FROM Children ORDER BY Id"), ",") == "1,2,4" && gone(late)
	})
	// Several polls later, nothing has changed in severe/: the job's own
	// re-failure is left for the next retry run, not read again.
	time.Sleep(5 * time.Second)
	if got := dlqFiles(t, root, dlq.SevereDir); strings.Join(got, ",") != strings.Join(resevered, ",") {
		t.Errorf("severe/ changed after the launch-time files were consumed: %v, then %v", resevered, got)
	}
	checkResevered(t, root)
	if files := dlqFiles(t, root, dlq.RetryDir); len(files) != 0 {
		t.Errorf("retry/ still holds %v, want every file consumed", files)
	}
	if job.ended() {
		t.Fatalf("the retryAllDLQ job ended on its own (err %v); it should keep polling retry/ until stopped", job.err)
	}

	res := job.cancel(t)
	// Each line was read once: 2 from retry/, 2 from severe/, 1 late.
	if n := testrun.Counter(res, "elementsReconsumedFromDeadLetterQueue"); n != 5 {
		t.Errorf("elementsReconsumedFromDeadLetterQueue = %d, want 5", n)
	}
	// A record sent back to severe/ by a retry run is not a new severe error.
	if n := testrun.Counter(res, "element_requeued_for_retry_count"); n != 1 {
		t.Errorf("element_requeued_for_retry_count = %d, want 1", n)
	}
	if n := testrun.Counter(res, "severe_error_count"); n != 0 {
		t.Errorf("severe_error_count = %d, want 0", n)
	}
}

// checkResevered checks that severe/ holds only the child whose label is
// still too long, with the error of this attempt, not the one it came with.
func checkResevered(t *testing.T, root string) {
	t.Helper()
	lines := dlqLines(t, root, dlq.SevereDir)
	if len(lines) != 1 || lines[0].Message.Mod.KeysJSON != `{"Id":"3"}` ||
		!strings.Contains(lines[0].ErrorMessage, "12 characters exceed the column's 5") {
		t.Errorf("severe/ holds %+v, want only child 3 with the length error", lines)
	}
}

// childLine is a DLQ line for an insert into Children.
func childLine(t *testing.T, id, parent int64, label, errMsg string) string {
	t.Helper()
	values := fmt.Sprintf(`{"ParentId":"%d","Label":%q}`, parent, label)
	b, err := dlq.Encode(record.Record{
		CommitTimestamp: record.FromTime(time.Now()), ServerTransactionID: "hand", RecordSequence: "00000000",
		TableName: "Children", ModType: record.ModInsert, NumberOfRecordsInTransaction: 1,
		Mod: record.ModJSON{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, id), OldValuesJSON: "{}", NewValuesJSON: values},
	}, errMsg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func gone(path string) bool {
	_, err := os.Stat(path)
	return os.IsNotExist(err)
}

// runningJob is a pipeline that does not end on its own, running on
// prism's in-process job server until it is cancelled.
type runningJob struct {
	id   string
	jobs jobpb.JobServiceClient
	done chan struct{}
	res  beam.PipelineResult
	err  error
}

// startJob submits p and returns once the job server knows it. The job is
// cancelled when t ends, so that a failed test leaves no job polling.
func startJob(t *testing.T, p *beam.Pipeline) *runningJob {
	t.Helper()
	if *jobopts.Endpoint == "" {
		// prism starts its job server with the first pipeline of the
		// process; the job can only be found and cancelled through it.
		warm, s := beam.NewPipelineWithRoot()
		beam.Impulse(s)
		if err := ptest.Run(warm); err != nil {
			t.Fatal(err)
		}
	}
	cc, err := grpc.NewClient(*jobopts.Endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	j := &runningJob{jobs: jobpb.NewJobServiceClient(cc), done: make(chan struct{})}
	known := map[string]bool{}
	for _, id := range j.ids(t) {
		known[id] = true
	}
	go func() {
		defer close(j.done)
		j.res, j.err = prism.Execute(context.Background(), p)
	}()
	for deadline := time.Now().Add(2 * time.Minute); j.id == ""; time.Sleep(100 * time.Millisecond) {
		for _, id := range j.ids(t) {
			if !known[id] {
				j.id = id
			}
		}
		if j.ended() && j.id == "" {
			t.Fatalf("the job ended before it was found: %v", j.err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the job server did not get the job within 2 minutes")
		}
	}
	t.Cleanup(func() {
		if !j.ended() {
			j.cancel(t)
		}
	})
	return j
}

func (j *runningJob) ids(t *testing.T) []string {
	t.Helper()
	resp, err := j.jobs.GetJobs(context.Background(), &jobpb.GetJobsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, info := range resp.GetJobInfo() {
		ids = append(ids, info.GetJobId())
	}
	return ids
}

func (j *runningJob) ended() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// cancel stops the job as an operator would, and returns its result: the
// metrics committed by the bundles that completed.
func (j *runningJob) cancel(t *testing.T) beam.PipelineResult {
	t.Helper()
	if _, err := j.jobs.Cancel(context.Background(), &jobpb.CancelJobRequest{JobId: j.id}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-j.done:
	case <-time.After(time.Minute):
		t.Fatal("the cancelled job did not stop within a minute")
	}
	if j.err != nil {
		t.Fatalf("pipeline: %v", j.err)
	}
	return j.res
}

// waitUntil polls cond for up to 2 minutes (the machine may be busy); a
// job that ends meanwhile fails the test at once.
func waitUntil(t *testing.T, j *runningJob, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(250 * time.Millisecond) {
		if j.ended() {
			t.Fatalf("the job ended while waiting for %s: %v", what, j.err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestRetryAllDLQExhaustedRetry checks the counters of a retryAllDLQ run
// for a retry/ record whose retries are used up: it goes to severe/ as a
// requeued record, like the severe/ records the run re-reads, not as a new
// severe error.
func TestRetryAllDLQExhaustedRetry(t *testing.T) {
	f := newFamily(t, "exh")
	ctx := context.Background()
	root := t.TempDir()
	const fkError = "MySQL: Error 1452 (23000): Cannot add or update a child row: a foreign key constraint fails"
	// Retried twice already: with dlqMaxRetryCount=2, this read exhausts it.
	line := strings.Replace(childLine(t, 5, 99, "orph", fkError),
		`"_metadata_retry_count":0`, `"_metadata_retry_count":2`, 1)
	if !strings.Contains(line, `"_metadata_retry_count":2`) {
		t.Fatalf("no retry count in the line to set: %s", line)
	}
	retryFile := filepath.Join(root, "retry/2024/06/10/06/13/error-exhausted.json")
	writeFile(t, retryFile, line+"\n")

	values := f.values(0)
	delete(values, "startTimestamp")
	delete(values, "endTimestamp")
	values["deadLetterQueueDirectory"] = root
	values["runMode"] = "retryAllDLQ"
	values["dlqMaxRetryCount"] = "2"
	cfg, err := params.Parse(values, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{RetryPoll: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	job := startJob(t, p)
	waitUntil(t, job, "the exhausted record to reach severe/ and its retry/ file to be removed", func() bool {
		return gone(retryFile) && len(dlqLines(t, root, dlq.SevereDir)) == 1
	})
	if got := dlqLines(t, root, dlq.SevereDir)[0].Message; got.Mod.KeysJSON != `{"Id":"5"}` || got.HistoricalRetryCount != 2 {
		t.Errorf("severe/ holds %+v, want child 5 after its 2 retries", got)
	}
	res := job.cancel(t)
	if n := testrun.Counter(res, "element_requeued_for_retry_count"); n != 1 {
		t.Errorf("element_requeued_for_retry_count = %d, want 1", n)
	}
	if n := testrun.Counter(res, "severe_error_count"); n != 0 {
		t.Errorf("severe_error_count = %d, want 0", n)
	}
}

// TestRetryDLQWriterCrashKeepsFile re-reads a severe/ file with the real
// graph while the writer cannot start (its shard file is gone after the
// launch, as when a worker dies before writing): the job fails, and the
// file must still be there, since none of its records reached MySQL or the
// DLQ. It used to be deleted as soon as it was read.
func TestRetryDLQWriterCrashKeepsFile(t *testing.T) {
	f := newFamily(t, "crash")
	ctx := context.Background()
	root := t.TempDir()
	const fkError = "MySQL: Error 1452 (23000): Cannot add or update a child row: a foreign key constraint fails"
	severeFile := filepath.Join(root, "severe/2024/06/10/06/13/error-crash.json")
	writeFile(t, severeFile, childLine(t, 1, 10, "a", fkError)+"\n"+childLine(t, 2, 10, "b", fkError)+"\n")
	// Older than the launch, so that the run takes it.
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(severeFile, old, old); err != nil {
		t.Fatal(err)
	}

	values := f.values(0)
	delete(values, "startTimestamp")
	delete(values, "endTimestamp")
	values["deadLetterQueueDirectory"] = root
	values["runMode"] = "retryDLQ"
	cfg, err := params.Parse(values, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.SevereFiles) != 1 {
		t.Fatalf("the run takes %v, want the severe file", plan.SevereFiles)
	}
	if err := os.Remove(f.shardFile); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	_, err = ptest.RunWithMetrics(p)
	// The fault happened: the writer failed on its shard file.
	if err == nil || !strings.Contains(err.Error(), filepath.Base(f.shardFile)) {
		t.Fatalf("pipeline error %v, want the writer's failure to read %s", err, f.shardFile)
	}
	if _, err := os.Stat(severeFile); err != nil {
		t.Errorf("the severe file is gone though none of its records was written: %v", err)
	}
	if rows := rows(t, f.admin, "SELECT Id FROM Children"); len(rows) != 0 {
		t.Errorf("Children holds %v, want nothing written", rows)
	}
}
