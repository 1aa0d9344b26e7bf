package changestream_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// itemsWorkload writes n transactions of one or two Items rows (upserts
// with a fresh version, or deletes of existing rows), pausing between
// them, and returns the changes.
type itemsWorkload struct {
	client *spanner.Client
	rng    *rand.Rand
	ver    int64
	exists map[int64]bool
	all    []change
}

func (w *itemsWorkload) write(ctx context.Context, n int, pause time.Duration) error {
	for i := 0; i < n; i++ {
		var muts []*spanner.Mutation
		var chs []change
		k1 := int64(1 + w.rng.IntN(40))
		for _, k := range []int64{k1, k1 + 40*int64(w.rng.IntN(2))} {
			if len(chs) > 0 && k == chs[0].Key {
				continue
			}
			if w.exists[k] && w.rng.IntN(5) == 0 {
				muts = append(muts, spanner.Delete("Items", spanner.Key{k}))
				chs = append(chs, change{Table: "Items", Key: k})
				continue
			}
			w.ver++
			muts = append(muts, spanner.InsertOrUpdate("Items", []string{"Id", "Name", "Ver"}, []any{k, fmt.Sprintf("item %d v%d", k, w.ver), w.ver}))
			chs = append(chs, change{Table: "Items", Key: k, Ver: w.ver})
		}
		at, err := w.client.Apply(ctx, muts)
		if err != nil {
			return err
		}
		for _, ch := range chs {
			ch.At = at
			w.all = append(w.all, ch)
			w.exists[ch.Key] = ch.Ver != 0
		}
		time.Sleep(pause)
	}
	return nil
}

// appliedVersions reads, per key, the commit time the writer recorded as
// applied in the shadow table.
func appliedVersions(t *testing.T, ctx context.Context, shadowDB string) map[int64]time.Time {
	t.Helper()
	c, err := spanner.NewClient(ctx, shadowDB)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := map[int64]time.Time{}
	err = c.Single().Read(ctx, "shadow_Items", spanner.AllKeys(), []string{"Id", shadow.CommitTsColumn}).Do(func(r *spanner.Row) error {
		var id int64
		var ts spanner.NullTime
		if err := r.Columns(&id, &ts); err != nil {
			return err
		}
		out[id] = ts.Time
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cancelRunningJobs cancels every running job on the in-process prism job
// server, as an operator cancelling a job (or a crash) would stop it: its
// bundles in flight are abandoned, their outputs never committed.
func cancelRunningJobs(t *testing.T, ctx context.Context) {
	t.Helper()
	cc, err := grpc.NewClient(*jobopts.Endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	jobs := jobpb.NewJobServiceClient(cc)
	resp, err := jobs.GetJobs(ctx, &jobpb.GetJobsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range resp.GetJobInfo() {
		if j.GetState() == jobpb.JobState_RUNNING {
			if _, err := jobs.Cancel(ctx, &jobpb.CancelJobRequest{JobId: j.GetJobId()}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<24)
			n := runtime.Stack(buf, true)
			os.WriteFile("/tmp/stacks.txt", buf[:n], 0o644)
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// TestRelaunchAfterCrashLosesNothing stops a running job the hard way while
// changes it has read are stuck in the writer (MariaDB's table is locked),
// then launches it again with the same parameters. The first job's
// positions are past those changes, so resuming from them would lose the
// changes; the relaunch resumes from the applied watermark instead, and
// MariaDB ends equal to Spanner.
func TestRelaunchAfterCrashLosesNothing(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	mysqlDB, dsn := testenv.MySQL(t)
	if _, err := mysqlDB.Exec("CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(100), Ver BIGINT)"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, mysqlDB, dsn)
	mainID, shadowID, csMetaID := uniqueID("items"), uniqueID("shadow"), uniqueID("csmeta")
	mainDB := testenv.CreateDatabase(t, emu, mainID, false, []string{
		"CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100), Ver INT64) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM items_cs FOR Items OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')",
		"CREATE CHANGE STREAM other_cs FOR Items OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')",
	})
	// The writer's shadow tables and the reader's partitions live in
	// different databases: the emulator runs one read-write transaction at
	// a time per database, and the writer's stays open while it is stuck.
	testenv.CreateDatabase(t, emu, shadowID, false, nil)
	testenv.CreateDatabase(t, emu, csMetaID, false, nil)
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	start := time.Now().UTC()
	values := params.Values{
		"changeStreamName": "items_cs", "instanceId": emu.Instance, "databaseId": mainID,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": shadowID,
		"changeStreamMetadataDatabase": csMetaID, "spannerMetadataTableName": "Metadata_items",
		"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": t.TempDir(),
		"startTimestamp": start.Format(time.RFC3339Nano), "endTimestamp": start.Add(40 * time.Second).Format(time.RFC3339Nano),
		// One writer key: batches are written one after the other.
		"maxShardConnections": "1",
	}
	// Batches of one record are written in ProcessElement, not in
	// FinishBundle: a FinishBundle stuck in MariaDB would hold the Go SDK
	// harness's DataSource lock, which its progress reports wait for, and
	// freeze every bundle of the worker, the reader's included.
	env := pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: 5 * time.Second, BatchSize: 1}
	prepare := func(v params.Values) (*pipeline.Prepared, error) {
		cfg, err := params.Parse(v, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.Prepare(ctx, cfg, env)
	}
	build := func(plan *pipeline.Prepared) *beam.Pipeline {
		p, s := beam.NewPipelineWithRoot()
		pipeline.Build(s, plan)
		return p
	}
	plan, err := prepare(values)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Resumed {
		t.Fatal("a first launch reports resuming")
	}
	csMeta := meta.Table{Client: newClient(t, emu.DatabasePath(csMetaID)), Name: "Metadata_items"}
	applied := func() time.Time {
		j, _, err := csMeta.Job(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return j.Applied
	}

	// Run 1.
	firstRun := make(chan error, 1)
	go func() {
		_, err := prism.Execute(context.Background(), build(plan))
		firstRun <- err
	}()
	w := &itemsWorkload{client: client, rng: rand.New(rand.NewPCG(3, 4)), exists: map[int64]bool{}}
	time.Sleep(time.Second)
	if err := w.write(ctx, 30, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	lastA := w.all[len(w.all)-1].At
	waitFor(t, "the applied watermark to pass the first changes", 20*time.Second, func() bool { return applied().After(lastA) })

	// Jam the writer, then write more: read, but not applied.
	lock, err := mysqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "LOCK TABLES Items WRITE"); err != nil {
		t.Fatal(err)
	}
	firstB := len(w.all)
	if err := w.write(ctx, 30, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	lastB := w.all[len(w.all)-1].At
	waitFor(t, "the reader to read past the jammed changes", 20*time.Second, func() bool {
		rows, err := csMeta.Rows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.State != meta.StateFinished && r.Watermark <= lastB.UnixNano() {
				return false
			}
		}
		return true
	})

	// Crash: cancel the job, kill the writer's MariaDB sessions, unjam.
	cancelRunningJobs(t, ctx)
	select {
	case err := <-firstRun:
		t.Logf("first run ended: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the cancelled job did not stop")
	}
	killSessions(t, ctx, mysqlDB, testenv.ShardUser)
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	time.Sleep(2 * time.Second) // let abandoned bundles give up

	// What the crash left: everything before the applied watermark is in
	// MariaDB, and some changes after it are not, although every
	// partition's read position is past them.
	a1 := applied()
	shadowState := appliedVersions(t, ctx, emu.DatabasePath(shadowID))
	var lost int
	for i, ch := range w.all {
		got, ok := shadowState[ch.Key]
		isApplied := ok && !got.Before(ch.At)
		switch {
		case ch.At.Before(a1) && !isApplied:
			t.Errorf("change %+v is before the applied watermark %v but not applied", ch, a1)
		case i >= firstB && !isApplied:
			lost++
		}
	}
	t.Logf("after the crash: applied watermark %v; %d of %d jammed changes not applied", a1.Format(time.RFC3339Nano), lost, len(w.all)-firstB)
	if lost == 0 {
		t.Fatal("the crash left no change read but unapplied, so this test would not notice a relaunch that skips them")
	}
	if !a1.Before(lastB) {
		t.Fatalf("the applied watermark %v passed changes that were never applied (last at %v)", a1, lastB)
	}

	// More changes while no job runs.
	if err := w.write(ctx, 10, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}

	// A relaunch with other parameters is refused with the way out.
	for param, other := range map[string]string{"changeStreamName": "other_cs", "startTimestamp": start.Add(time.Second).Format(time.RFC3339Nano)} {
		v := copyValues(values)
		v[param] = other
		_, err := prepare(v)
		var conflict *meta.ConflictError
		if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "spannerMetadataTableName") {
			t.Errorf("relaunch with %s=%s: %v, want a conflict that names the way out", param, other, err)
		}
	}

	// Run 2, same parameters.
	plan, err = prepare(values)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Resumed {
		t.Error("the relaunch did not find the first job's state")
	}
	if err := ptest.Run(build(plan)); err != nil {
		t.Fatalf("second run: %v", err)
	}
	compareItems(t, ctx, client, mysqlDB)
	if got, want := applied(), start.Add(40*time.Second).Truncate(time.Millisecond).Add(time.Millisecond); !got.Equal(want) {
		t.Errorf("final applied watermark %v, want just past the end timestamp (%v)", got, want)
	}
}

func copyValues(v params.Values) params.Values {
	out := params.Values{}
	for k, x := range v {
		out[k] = x
	}
	return out
}

func newClient(t *testing.T, db string) *spanner.Client {
	t.Helper()
	c, err := spanner.NewClient(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// killSessions ends every MariaDB session of user, as a crashed worker's
// connections end: their open transactions roll back.
func killSessions(t *testing.T, ctx context.Context, db *sql.DB, user string) {
	t.Helper()
	rows, err := db.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?", user)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		db.ExecContext(ctx, fmt.Sprintf("KILL %d", id)) // a session may end by itself meanwhile
	}
}

// compareItems checks MariaDB's Items equal Spanner's.
func compareItems(t *testing.T, ctx context.Context, client *spanner.Client, db *sql.DB) {
	t.Helper()
	want := map[int64]string{}
	err := client.Single().Read(ctx, "Items", spanner.AllKeys(), []string{"Id", "Name", "Ver"}).Do(func(r *spanner.Row) error {
		var id, ver int64
		var name string
		if err := r.Columns(&id, &name, &ver); err != nil {
			return err
		}
		want[id] = fmt.Sprintf("%s/%d", name, ver)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT Id, Name, Ver FROM Items")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]string{}
	for rows.Next() {
		var id, ver int64
		var name string
		if err := rows.Scan(&id, &name, &ver); err != nil {
			t.Fatal(err)
		}
		got[id] = fmt.Sprintf("%s/%d", name, ver)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("Items %d: MariaDB has %q, Spanner %q", id, got[id], w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("Items %d: MariaDB has %q, Spanner has no such row", id, g)
		}
	}
	t.Logf("%d rows compared", len(want))
}
