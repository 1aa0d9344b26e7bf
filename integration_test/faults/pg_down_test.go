package faults

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
)

// TestPostgreSQLDown is TestMariaDBDown with a PostgreSQL shard: the
// server (a private one: the machine's shared server stays up) is stopped
// (pg_ctl stop -m fast) for a minute in the middle of a steady stream of
// Spanner writes, then started again. Records that fail meanwhile go to
// retry/ and are applied once it is back: at the end PostgreSQL equals
// Spanner, and nothing is left in the DLQ. The schedule is TestMariaDBDown's.
func TestPostgreSQLDown(t *testing.T) {
	server := testenv.PrivatePostgreSQL(t)
	e := newPGInputEnv(t, "pgdown", []string{
		"CREATE TABLE Accounts (Id INT64 NOT NULL, Name STRING(100), Balance INT64, Note STRING(MAX)) PRIMARY KEY (Id)",
	}, []string{"CREATE TABLE Accounts (Id bigint PRIMARY KEY, Name varchar(100), Balance bigint, Note text)"}, server)
	ctx := context.Background()
	start := time.Now().UTC()
	values := e.values(start, mdbRunFor)
	values["dlqMaxRetryCount"] = "1000"

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
		w := &mdbWorkload{client: e.client, rng: rand.New(rand.NewPCG(13, 14)), exists: map[int64]bool{}}
		writes <- w.run(gctx, start.Add(2*time.Second), start.Add(mdbWritesStop))
		t.Logf("workload: %d transactions: %d inserts, %d updates, %d deletes", w.txns, w.inserts, w.updates, w.deletes)
	}()
	fault := make(chan error, 1)
	var seen outageSeen
	wg.Add(1)
	go func() {
		defer wg.Done()
		fault <- outage(gctx, t, "PostgreSQL", server, e.dlqDir, start, &seen)
	}()

	res := testrun.Pipeline(t, ctx, values, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: mdbRetryPoll})
	wg.Wait()
	if err := <-writes; err != nil {
		t.Fatalf("writing to Spanner: %v", err)
	}
	if err := <-fault; err != nil {
		t.Fatalf("stopping or starting PostgreSQL: %v", err)
	}
	// The fault must have happened, or the comparison proves nothing.
	seen.check(t, "PostgreSQL")
	checkRecovered(t, res)
	ms := e.compareAll(t, localenv.Table{Name: "Accounts", Key: []string{"Id"}})
	for i, m := range ms {
		if i == 20 {
			t.Errorf("... and %d more", len(ms)-i)
			break
		}
		t.Errorf("mismatch: %v", m)
	}
	for i, l := range e.dlqLines(t, "") {
		if i == 10 {
			t.Error("... and more DLQ lines")
			break
		}
		t.Errorf("left in the DLQ: table %s keys %s: %s", l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
	}
}
