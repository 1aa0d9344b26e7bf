package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// The schedule of TestMariaDBDown, from the start timestamp. Writes stop
// 40 s before the end so that records queued in retry/ during the outage
// are re-applied (retry/ is polled every 3 s) before the last poll, which
// comes right after endTimestamp.
const (
	mdbDownAt     = 25 * time.Second
	mdbDownFor    = 60 * time.Second
	mdbWritesStop = 100 * time.Second
	mdbRunFor     = 140 * time.Second
	mdbRetryPoll  = 3 * time.Second
	mdbKeys       = 300
)

// TestMariaDBDown stops the MySQL shard (a clean MariaDB shutdown) for a
// minute in the middle of a steady stream of Spanner writes, then starts
// it again. Records that fail meanwhile must go to retry/ and be applied
// once MariaDB is back: at the end MariaDB equals Spanner, nothing is left
// in retry/ and nothing went to severe/.
func TestMariaDBDown(t *testing.T) { mariaDBDown(t, params.ShadowInMetadata) }

// TestMariaDBDownShadowInSource is TestMariaDBDown with
// shadowTableLocation=source: the shadow rows go down with the data, and
// the shard's shadow table ends with a version for every key of Spanner.
func TestMariaDBDownShadowInSource(t *testing.T) { mariaDBDown(t, params.ShadowInSource) }

func mariaDBDown(t *testing.T, shadowLocation string) {
	emu := testenv.Spanner(t)
	server := testenv.PrivateMariaDB(t)
	ctx := context.Background()

	mysqlDB, dsn := server.Database(t, "app")
	if _, err := mysqlDB.Exec("CREATE TABLE Accounts (Id BIGINT PRIMARY KEY, Name VARCHAR(100), Balance BIGINT, Note TEXT)"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, mysqlDB, dsn)

	id := fmt.Sprintf("down%d", time.Now().UnixNano()%1e9)
	mainDB := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE Accounts (Id INT64 NOT NULL, Name STRING(100), Balance INT64, Note STRING(MAX)) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM accounts_cs FOR Accounts OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')",
	})
	// The writer's shadow tables and the reader's partitions get databases
	// of their own: the emulator runs one read-write transaction at a time
	// per database, and the test's writes would contend with them.
	testenv.CreateDatabase(t, emu, id+"shadow", false, nil)
	testenv.CreateDatabase(t, emu, id+"csmeta", false, nil)
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	dlqDir := t.TempDir()
	start := time.Now().UTC()
	values := params.Values{
		"changeStreamName": "accounts_cs", "instanceId": emu.Instance, "databaseId": id,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": id + "shadow",
		"changeStreamMetadataDatabase": id + "csmeta",
		"sourceShardsFilePath":         shardFile, "deadLetterQueueDirectory": dlqDir,
		"startTimestamp": start.Format(time.RFC3339Nano), "endTimestamp": start.Add(mdbRunFor).Format(time.RFC3339Nano),
		// A record is retried every 3 s for a minute: far from exhausting
		// this budget, so none can reach severe/ for being retried.
		"dlqMaxRetryCount":    "1000",
		"shadowTableLocation": shadowLocation,
	}

	// The goroutines end with the test, also when it fails early: they
	// log through t, which must not happen once the test has returned.
	gctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	writes := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := &mdbWorkload{client: client, rng: rand.New(rand.NewPCG(11, 12)), exists: map[int64]bool{}}
		writes <- w.run(gctx, start.Add(2*time.Second), start.Add(mdbWritesStop))
		t.Logf("workload: %d transactions: %d inserts, %d updates, %d deletes", w.txns, w.inserts, w.updates, w.deletes)
	}()
	fault := make(chan error, 1)
	var seen outageSeen
	wg.Add(1)
	go func() {
		defer wg.Done()
		fault <- outage(gctx, t, "MariaDB", server, dlqDir, start, &seen)
	}()

	res := testrun.Pipeline(t, ctx, values, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: mdbRetryPoll})
	wg.Wait()
	if err := <-writes; err != nil {
		t.Fatalf("writing to Spanner: %v", err)
	}
	if err := <-fault; err != nil {
		t.Fatalf("stopping or starting MariaDB: %v", err)
	}
	t.Logf("pipeline ended at +%v", time.Since(start).Round(time.Second))

	// The fault must have happened, or the comparison below proves nothing.
	seen.check(t, "MariaDB")
	checkRecovered(t, res)

	rows, mismatches, err := localenv.CompareTable(ctx, client, []localenv.Shard{{DB: mysqlDB}}, localenv.Table{Name: "Accounts", Key: []string{"Id"}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := localenv.ReadDLQ(dlqDir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compared %d Spanner rows: %d mismatches; %d DLQ lines left", rows, len(mismatches), len(lines))
	if rows == 0 {
		t.Error("Spanner holds no rows: the workload wrote nothing")
	}
	for i, m := range mismatches {
		if i == 20 {
			t.Errorf("... and %d more", len(mismatches)-i)
			break
		}
		t.Errorf("mismatch: %v", m)
	}
	for _, m := range localenv.Unexplained(mismatches, lines) {
		t.Errorf("mismatch not accounted for in the DLQ: %v", m)
	}
	if shadowLocation == params.ShadowInSource {
		var unversioned int
		if err := mysqlDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM shadow_Accounts WHERE processed_commit_ts IS NULL").Scan(&unversioned); err != nil {
			t.Fatalf("the shard's shadow table: %v", err)
		}
		var spannerKeys, shadowKeys int
		if err := mysqlDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM shadow_Accounts").Scan(&shadowKeys); err != nil {
			t.Fatal(err)
		}
		if err := client.Single().Query(ctx, spanner.Statement{SQL: "SELECT COUNT(*) FROM Accounts"}).Do(func(r *spanner.Row) error {
			var n int64
			err := r.Column(0, &n)
			spannerKeys = int(n)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		t.Logf("the shard's shadow table: %d keys, %d without a version; Spanner holds %d rows", shadowKeys, unversioned, spannerKeys)
		if shadowKeys < spannerKeys || unversioned != 0 {
			t.Errorf("the shard's shadow table has %d keys (%d without a version) for %d rows in Spanner", shadowKeys, unversioned, spannerKeys)
		}
	}
	retryFiles, err := dlq.List(ctx, dlqDir, dlq.RetryDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(retryFiles) != 0 {
		t.Errorf("retry/ still holds %d files, want every one consumed", len(retryFiles))
	}
	// Every record that failed while MariaDB was down was retryable and
	// is applied now: nothing may be left anywhere in the DLQ.
	for i, l := range lines {
		if i == 10 {
			t.Errorf("... and %d more DLQ lines", len(lines)-i)
			break
		}
		t.Errorf("left in the DLQ: table %s keys %s: %s", l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
	}
}

// stopStarter is a private database server, which a test stops and
// starts.
type stopStarter interface {
	Stop() error
	Start() error
}

// outageSeen is what retry/ held while a shard's server was down.
type outageSeen struct {
	lines, distinct int      // lines, and distinct records
	errors          []string // the first lines' errors
}

// outage stops server (named name in the log) at start+mdbDownAt and
// starts it again mdbDownFor later. Meanwhile it watches retry/ under
// dlqDir, into seen: proof that the outage did send records there, with
// the errors that sent them. It returns early, with no error, when ctx
// ends.
func outage(ctx context.Context, t *testing.T, name string, server stopStarter, dlqDir string, start time.Time, seen *outageSeen) error {
	if !mdbSleepUntil(ctx, start.Add(mdbDownAt)) {
		return nil
	}
	if err := server.Stop(); err != nil {
		return err
	}
	t.Logf("%s stopped at +%v", name, time.Since(start).Round(time.Second))
	up := time.Now().Add(mdbDownFor)
	for time.Now().Before(up) {
		lines, err := localenv.ReadDLQ(dlqDir, dlq.RetryDir)
		if err == nil && len(lines) > seen.lines {
			seen.lines = len(lines)
			uniq := map[string]bool{}
			for _, l := range lines {
				m := l.Message
				uniq[fmt.Sprint(m.TableName, m.Mod.KeysJSON, m.CommitTimestamp, m.ServerTransactionID, m.RecordSequence)] = true
			}
			seen.distinct = len(uniq)
			seen.errors = seen.errors[:0]
			for _, l := range lines[:min(3, len(lines))] {
				seen.errors = append(seen.errors, l.ErrorMessage)
			}
		}
		next := time.Now().Add(500 * time.Millisecond)
		if next.After(up) {
			next = up
		}
		if !mdbSleepUntil(ctx, next) {
			return nil
		}
	}
	if err := server.Start(); err != nil {
		return err
	}
	t.Logf("%s started again at +%v", name, time.Since(start).Round(time.Second))
	return nil
}

// check fails the test when no record reached retry/ during the outage of
// name's server: the fault did not happen, and what follows proves
// nothing.
func (s outageSeen) check(t *testing.T, name string) {
	t.Helper()
	t.Logf("while %s was down retry/ held up to %d records (%d distinct); errors: %q", name, s.lines, s.distinct, s.errors)
	if s.lines == 0 {
		t.Errorf("no record reached retry/ while %s was down", name)
	}
}

// checkRecovered checks the counters of a run through an outage: records
// were re-applied from retry/, and none became severe.
func checkRecovered(t *testing.T, res beam.PipelineResult) {
	t.Helper()
	reconsumed := testrun.Counter(res, "elementsReconsumedFromDeadLetterQueue")
	t.Logf("counters: success_record_count %d, elementsReconsumedFromDeadLetterQueue %d, retryable_record_count %d, severe_error_count %d",
		testrun.Counter(res, "success_record_count"), reconsumed, testrun.Counter(res, "retryable_record_count"), testrun.Counter(res, "severe_error_count"))
	if reconsumed == 0 {
		t.Error("elementsReconsumedFromDeadLetterQueue is 0: nothing was re-applied from retry/")
	}
	if n := testrun.Counter(res, "severe_error_count"); n != 0 {
		t.Errorf("severe_error_count = %d, want 0", n)
	}
}

// mdbWorkload writes one small transaction every 100-200 ms: inserts of
// absent keys, updates and deletes of present ones. It is the only
// read-write client of its database (the emulator runs one read-write
// transaction at a time per database).
type mdbWorkload struct {
	client                          *spanner.Client
	rng                             *rand.Rand
	exists                          map[int64]bool
	seq                             int64
	txns, inserts, updates, deletes int
}

func (w *mdbWorkload) run(ctx context.Context, from, until time.Time) error {
	if !mdbSleepUntil(ctx, from) {
		return nil
	}
	cols := []string{"Id", "Name", "Balance", "Note"}
	for time.Now().Before(until) {
		var muts []*spanner.Mutation
		next := map[int64]bool{} // key -> exists after this transaction
		for n := 1 + w.rng.IntN(3); n > 0; n-- {
			k := int64(1 + w.rng.IntN(mdbKeys))
			if _, dup := next[k]; dup {
				continue
			}
			w.seq++
			vals := []any{k, fmt.Sprintf("account %d v%d", k, w.seq), w.rng.Int64N(1_000_000) - 500_000,
				strings.Repeat("n", w.rng.IntN(40))}
			switch {
			case !w.exists[k]:
				muts = append(muts, spanner.Insert("Accounts", cols, vals))
				next[k] = true
				w.inserts++
			case w.rng.IntN(4) == 0:
				muts = append(muts, spanner.Delete("Accounts", spanner.Key{k}))
				next[k] = false
				w.deletes++
			default:
				muts = append(muts, spanner.Update("Accounts", cols, vals))
				next[k] = true
				w.updates++
			}
		}
		if _, err := w.client.Apply(ctx, muts); err != nil {
			return err
		}
		w.txns++
		for k, e := range next {
			w.exists[k] = e
		}
		if !mdbSleepUntil(ctx, time.Now().Add(time.Duration(100+w.rng.IntN(100))*time.Millisecond)) {
			return nil
		}
	}
	return nil
}

// mdbSleepUntil sleeps until at and reports false when ctx ends first.
func mdbSleepUntil(ctx context.Context, at time.Time) bool {
	tm := time.NewTimer(time.Until(at))
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
