package faults

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// The schedule of TestMariaDBFrozen, from the start timestamp; as in
// TestMariaDBDown, writes stop 40 s before the end so that what waits in
// retry/ is re-applied before the last poll.
const (
	frzAt         = 25 * time.Second
	frzFor        = 60 * time.Second
	frzMarkAfter  = 10 * time.Second // into the freeze: a write the other shard must apply before the thaw
	frzWritesStop = 110 * time.Second
	frzRunFor     = 150 * time.Second
	frzKeys       = 600 // odd keys live on the frozen shard1, even ones on shard2
)

// frozenSession routes Accounts rows by their migration_shard_id column,
// which the source does not have.
const frozenSession = `{
  "SpSchema": {"t1": {"Name": "Accounts", "ColIds": ["c1", "c2", "c3", "c4", "c5"],
    "ColDefs": {"c1": {"Name": "Id"}, "c2": {"Name": "Name"}, "c3": {"Name": "Balance"}, "c4": {"Name": "Note"},
                "c5": {"Name": "migration_shard_id"}}, "ShardIdColumn": "c5"}},
  "SrcSchema": {"t1": {"Name": "Accounts", "ColIds": ["c1", "c2", "c3", "c4"],
    "ColDefs": {"c1": {"Name": "Id"}, "c2": {"Name": "Name"}, "c3": {"Name": "Balance"}, "c4": {"Name": "Note"}}}},
  "SyntheticPKeys": {}
}`

// TestMariaDBFrozen suspends one of two shards (SIGSTOP: its connections
// stay open and new ones are accepted, but nothing is answered, as with a
// hung host) for a minute while Spanner writes go on, then resumes it.
// Batches of the frozen shard must give up at the writer's deadlines and
// wait in retry/, without failing the job, while the other shard goes on
// applying; once the shard answers again it catches up, and at the end
// both shards equal Spanner with nothing left in the DLQ.
func TestMariaDBFrozen(t *testing.T) {
	emu := testenv.Spanner(t)
	server := testenv.PrivateMariaDB(t)
	ctx := context.Background()

	const table = "CREATE TABLE Accounts (Id BIGINT PRIMARY KEY, Name VARCHAR(100), Balance BIGINT, Note TEXT)"
	frozenDB, frozenDSN := server.Database(t, "app")
	otherDB, otherDSN := testenv.MySQL(t)
	for _, db := range []*sql.DB{frozenDB, otherDB} {
		if _, err := db.Exec(table); err != nil {
			t.Fatal(err)
		}
	}
	// ShardFile creates the test account on each server; the shard file
	// naming both is written here.
	testenv.ShardFile(t, frozenDB, frozenDSN)
	testenv.ShardFile(t, otherDB, otherDSN)
	shardFile := frozenShardFile(t, frozenDSN, otherDSN)
	session := filepath.Join(t.TempDir(), "session.json")
	if err := os.WriteFile(session, []byte(frozenSession), 0o644); err != nil {
		t.Fatal(err)
	}

	id := fmt.Sprintf("frz%d", time.Now().UnixNano()%1e9)
	mainDB := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE Accounts (Id INT64 NOT NULL, Name STRING(100), Balance INT64, Note STRING(MAX), migration_shard_id STRING(50)) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM accounts_cs FOR Accounts OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')",
	})
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
		"changeStreamMetadataDatabase": id + "csmeta", "sessionFilePath": session,
		"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": dlqDir,
		"startTimestamp": start.Format(time.RFC3339Nano), "endTimestamp": start.Add(frzRunFor).Format(time.RFC3339Nano),
		"dlqMaxRetryCount": "1000",
	}

	gctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	w := &frzWorkload{client: client, rng: rand.New(rand.NewPCG(21, 22)), exists: map[int64]bool{}}
	writes := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		writes <- w.run(gctx, start.Add(2*time.Second), start.Add(frzWritesStop))
		t.Logf("workload: %d transactions: %d inserts, %d updates, %d deletes", w.txns, w.inserts, w.updates, w.deletes)
	}()

	// What the fault goroutine observes; read after wg.Wait.
	var (
		retryWhileFrozen    []dlq.Line
		markSeq, recoverSeq int64
		markSeen, recovered time.Duration // since start; 0: never
	)
	fault := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		fault <- func() error {
			if !mdbSleepUntil(gctx, start.Add(frzAt)) {
				return nil
			}
			if err := server.Freeze(); err != nil {
				return err
			}
			t.Logf("shard1 frozen at +%v", time.Since(start).Round(time.Second))
			thaw := time.Now().Add(frzFor)
			mark := time.Now().Add(frzMarkAfter)
			for time.Now().Before(thaw) {
				if markSeq == 0 && time.Now().After(mark) {
					markSeq = w.seq.Load()
					t.Logf("mark: shard2 must apply a write after seq %d before the thaw", markSeq)
				}
				if markSeq > 0 && markSeen == 0 {
					if n, err := maxBalance(gctx, otherDB); err == nil && n > markSeq {
						markSeen = time.Since(start)
					}
				}
				if lines, err := localenv.ReadDLQ(dlqDir, dlq.RetryDir); err == nil && len(lines) > len(retryWhileFrozen) {
					retryWhileFrozen = lines
				}
				if !mdbSleepUntil(gctx, time.Now().Add(500*time.Millisecond)) {
					return nil
				}
			}
			// The server was frozen all along: it answers no one.
			if _, err := maxBalanceWithin(frozenDSN, time.Second); err == nil {
				return fmt.Errorf("the frozen server answered a query")
			}
			if err := server.Thaw(); err != nil {
				return err
			}
			recoverSeq = w.seq.Load()
			t.Logf("shard1 thawed at +%v; it must apply a write after seq %d", time.Since(start).Round(time.Second), recoverSeq)
			for time.Now().Before(start.Add(frzWritesStop)) {
				if n, err := maxBalance(gctx, frozenDB); err == nil && n > recoverSeq {
					recovered = time.Since(start)
					return nil
				}
				if !mdbSleepUntil(gctx, time.Now().Add(500*time.Millisecond)) {
					return nil
				}
			}
			return nil
		}()
	}()

	res := testrun.Pipeline(t, ctx, values, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: mdbRetryPoll})
	wg.Wait()
	if err := <-writes; err != nil {
		t.Fatalf("writing to Spanner: %v", err)
	}
	if err := <-fault; err != nil {
		t.Fatalf("freezing or thawing MariaDB: %v", err)
	}
	t.Logf("pipeline ended at +%v", time.Since(start).Round(time.Second))

	// The fault happened: batches of shard1 went to retry/ during the
	// freeze, given up at the writer's deadline or, once a write had found
	// the shard unreachable, not tried until the next probe; none of
	// shard2's did.
	byShard := map[string]int{}
	deadline, notTried := 0, 0
	for _, l := range retryWhileFrozen {
		byShard[l.Message.Shard]++
		switch {
		case strings.Contains(l.ErrorMessage, "did not finish within"):
			deadline++
		case strings.Contains(l.ErrorMessage, "batch not tried"):
			notTried++
		}
	}
	t.Logf("during the freeze retry/ held %d records by shard %v, %d given up at a deadline, %d not tried while the shard was down; first error: %q",
		len(retryWhileFrozen), byShard, deadline, notTried, firstError(retryWhileFrozen))
	if byShard["shard1"] == 0 || deadline+notTried == 0 {
		t.Error("no record of the frozen shard reached retry/ at a deadline or as not tried during the freeze")
	}
	if n := len(retryWhileFrozen) - byShard["shard1"]; n != 0 {
		t.Errorf("%d records of other shards went to retry/ during the freeze", n)
	}
	// The other shard kept applying during the freeze.
	if markSeen == 0 {
		t.Errorf("shard2 did not apply a write made %v into the freeze (seq > %d) before the thaw", frzMarkAfter, markSeq)
	} else {
		t.Logf("shard2 applied a write after seq %d at +%v, during the freeze", markSeq, markSeen.Round(time.Second))
	}
	// The frozen shard caught up with live writes once it answered.
	if recovered == 0 {
		t.Errorf("shard1 did not apply a write made after the thaw (seq > %d) before writes stopped", recoverSeq)
	} else {
		t.Logf("shard1 applied a write made after the thaw at +%v", recovered.Round(time.Second))
	}
	t.Logf("counters: success_record_count %d, elementsReconsumedFromDeadLetterQueue %d, severe_error_count %d",
		testrun.Counter(res, "success_record_count"), testrun.Counter(res, "elementsReconsumedFromDeadLetterQueue"),
		testrun.Counter(res, "severe_error_count"))
	if n := testrun.Counter(res, "severe_error_count"); n != 0 {
		t.Errorf("severe_error_count = %d, want 0", n)
	}

	// Nothing lost: every row of every shard equals Spanner's.
	shards := []localenv.Shard{{ID: "shard1", DB: frozenDB}, {ID: "shard2", DB: otherDB}}
	rows, mismatches, err := localenv.CompareTable(ctx, client, shards,
		localenv.Table{Name: "Accounts", Key: []string{"Id"}, ShardColumn: "migration_shard_id"})
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
	for i, l := range lines {
		if i == 10 {
			t.Errorf("... and %d more DLQ lines", len(lines)-i)
			break
		}
		t.Errorf("left in the DLQ: shard %s keys %s: %s", l.Message.Shard, l.Message.Mod.KeysJSON, l.ErrorMessage)
	}
}

func firstError(lines []dlq.Line) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[0].ErrorMessage
}

// frozenShardFile names the databases of the two DSNs shard1 and shard2,
// with the account testenv.ShardFile created on each server.
func frozenShardFile(t *testing.T, dsns ...string) string {
	t.Helper()
	var shards []map[string]string
	for i, dsn := range dsns {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(cfg.Addr)
		shards = append(shards, map[string]string{"logicalShardId": fmt.Sprintf("shard%d", i+1), "host": host, "port": port,
			"user": testenv.ShardUser, "password": testenv.ShardPassword, "dbName": cfg.DBName})
	}
	b, err := json.Marshal(map[string]any{"shardConfigs": shards})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shards.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// maxBalance is the largest Balance in db's Accounts: the workload writes
// its sequence number there, so it tells the newest write db holds.
func maxBalance(ctx context.Context, db *sql.DB) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT MAX(Balance) FROM Accounts").Scan(&n)
	return n.Int64, err
}

// maxBalanceWithin is maxBalance on a fresh connection that gives up
// after d.
func maxBalanceWithin(dsn string, d time.Duration) (int64, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return maxBalance(ctx, db)
}

// frzWorkload writes one small transaction every 100-200 ms, like
// mdbWorkload, over keys of both shards: a key's shard never changes, and
// Balance is the write's sequence number.
type frzWorkload struct {
	client                          *spanner.Client
	rng                             *rand.Rand
	exists                          map[int64]bool
	seq                             atomic.Int64
	txns, inserts, updates, deletes int
}

func (w *frzWorkload) run(ctx context.Context, from, until time.Time) error {
	if !mdbSleepUntil(ctx, from) {
		return nil
	}
	cols := []string{"Id", "Name", "Balance", "Note", "migration_shard_id"}
	for time.Now().Before(until) {
		var muts []*spanner.Mutation
		next := map[int64]bool{}
		for n := 1 + w.rng.IntN(3); n > 0; n-- {
			k := int64(1 + w.rng.IntN(frzKeys))
			if _, dup := next[k]; dup {
				continue
			}
			seq := w.seq.Add(1)
			shard := "shard2"
			if k%2 == 1 {
				shard = "shard1"
			}
			vals := []any{k, fmt.Sprintf("account %d v%d", k, seq), seq, strings.Repeat("n", w.rng.IntN(40)), shard}
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
