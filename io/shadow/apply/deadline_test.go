package apply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// hangLimit is how long the tests below wait for Apply before calling it
// hung: far beyond the deadlines, so it detects a missing deadline, not a
// slow machine.
const hangLimit = 4 * BatchTimeout

type applyResult struct {
	out Outcome
	err error
}

// applyOrHang runs ApplyIsolating and fails t if it has not returned
// within hangLimit (it would wait for minutes, or forever, without
// deadlines).
func applyOrHang(t *testing.T, a *Applier, db *sql.DB, batch []record.Record) (Outcome, error) {
	t.Helper()
	return withinHangLimit(t, func() (Outcome, error) { return a.ApplyIsolating(context.Background(), db, batch) })
}

// applyOnlyOrHang is applyOrHang for Apply alone, without isolation.
func applyOnlyOrHang(t *testing.T, a *Applier, db *sql.DB, batch []record.Record) (Outcome, error) {
	t.Helper()
	return withinHangLimit(t, func() (Outcome, error) { return a.Apply(context.Background(), db, batch) })
}

func withinHangLimit(t *testing.T, apply func() (Outcome, error)) (Outcome, error) {
	t.Helper()
	done := make(chan applyResult, 1)
	go func() {
		out, err := apply()
		done <- applyResult{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-time.After(hangLimit):
		t.Fatalf("Apply has not returned after %v", hangLimit)
		return Outcome{}, nil
	}
}

// requireTimeout checks that err is a deadline of this package, which the
// writer treats as a connection failure: the whole batch goes to retry/.
func requireTimeout(t *testing.T, err error) {
	t.Helper()
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Apply returned %v, want a TimeoutError", err)
	}
	if !target.IsConnection(err) || failure.Of(err) != failure.Retryable {
		t.Errorf("%v: not a retryable connection error", err)
	}
}

func (f *fixture) requireNoShadowRow(t *testing.T, ids ...int64) {
	t.Helper()
	for _, id := range ids {
		_, err := f.meta.Single().ReadRow(context.Background(), "shadow_Items", spanner.Key{id}, []string{"record_seq"})
		if spanner.ErrCode(err) != codes.NotFound {
			t.Errorf("shadow row %d: %v, want none: nothing of the batch may be recorded as applied", id, err)
		}
	}
}

// A statement that MySQL does not answer (here it waits for a row lock
// that another session holds; a frozen server looks the same to the
// client) fails the batch within MySQLTimeout as a connection error,
// records nothing, and its connection is discarded, not pooled: the same
// pool applies the batch once the lock is gone.
func TestUnansweredStatementTimesOutAndItsConnectionIsDiscarded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The writer's pool: one connection, and a lock wait timeout far
	// beyond the deadline, so that only the deadline can end the wait.
	db, err := sql.Open("mysql", f.dsn+"&innodb_lock_wait_timeout=900")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := f.db.Exec("INSERT INTO Items (Id, Name) VALUES (1, 'app')"); err != nil {
		t.Fatal(err)
	}
	locker, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback()
	if _, err := locker.Exec("SELECT Id FROM Items WHERE Id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err != nil { // one idle connection in the pool
		t.Fatal(err)
	}

	// Apply, not ApplyIsolating: on a shard that still answers a ping the
	// latter isolates the slow record (TestSlowRecordIsIsolatedOnALiveShard).
	batch := []record.Record{rec(1, 1, 0, "a1"), rec(2, 1, 0, "b1")}
	out, err := applyOnlyOrHang(t, f.applier, db, batch)
	requireTimeout(t, err)
	if len(out.Applied)+len(out.Failed) != 0 {
		t.Errorf("outcome %+v, want nothing applied or failed on its own", out)
	}
	f.requireNoShadowRow(t, 1, 2)
	// The timed-out transaction is gone from the server, not only from
	// the client: only the locker's transaction is left (before the KILL,
	// the batch's transaction waited there for its lock for 900 s).
	var trx int
	for range 50 {
		if err := f.db.QueryRow("SELECT COUNT(*) FROM information_schema.INNODB_TRX").Scan(&trx); err != nil {
			t.Fatal(err)
		}
		if trx == 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if trx != 1 {
		t.Errorf("%d InnoDB transactions after the timeout, want only the locker's: the batch's server thread was not killed", trx)
	}
	if n := db.Stats().InUse; n != 0 {
		t.Errorf("%d connections still in use after the timeout", n)
	}

	if err := locker.Rollback(); err != nil {
		t.Fatal(err)
	}
	out, err = applyOrHang(t, f.applier, db, batch)
	if err != nil || len(out.Applied) != 2 {
		t.Fatalf("after the lock was released: applied %d, err %v", len(out.Applied), err)
	}
	if got := fmt.Sprint(f.rows(t)); got != "map[1:a1 2:b1]" {
		t.Errorf("MySQL = %s", got)
	}
}

// A batch that misses the MySQL deadline on a shard that still answers a
// ping is slow, not cut off: it is split, so that the records that can be
// applied are, and only the slow one (its row locked by another session
// for longer than the deadline) fails, with the timeout, to retry/.
// Before, the whole batch went to retry/ every time and came back the same
// size, until its retries ran out.
func TestSlowRecordIsIsolatedOnALiveShard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db, err := sql.Open("mysql", f.dsn+"&innodb_lock_wait_timeout=900")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := f.db.Exec("INSERT INTO Items (Id, Name) VALUES (3, 'app')"); err != nil {
		t.Fatal(err)
	}
	locker, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback()
	if _, err := locker.Exec("SELECT Id FROM Items WHERE Id = 3 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	batch := []record.Record{rec(1, 1, 0, "a1"), rec(2, 1, 0, "b1"), rec(3, 1, 0, "c1"), rec(4, 1, 0, "d1")}
	out, err := applyOrHang(t, f.applier, db, batch)
	if err != nil {
		t.Fatalf("ApplyIsolating: %v, want the slow record isolated", err)
	}
	if len(out.Applied) != 3 || len(out.Failed) != 1 || out.Failed[0].Record.Mod.KeysJSON != `{"Id":"3"}` {
		t.Fatalf("outcome %+v, want 1, 2, 4 applied and 3 failed", out)
	}
	requireTimeout(t, out.Failed[0].Err)
	f.requireNoShadowRow(t, 3)
	if err := locker.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.rows(t)); got != "map[1:a1 2:b1 3:app 4:d1]" {
		t.Errorf("MySQL = %s", got)
	}
}

// When a part of a split batch fails as a whole (Spanner unavailable), the
// parts settled before it keep their outcome; only its own records come
// back failed, with its error. Before, the whole batch was reported failed:
// the applied records were sent to retry/ again, and filtered ones were
// never filed.
func TestWholeBatchFailureAfterASplitKeepsSettledParts(t *testing.T) {
	f := newFixture(t)
	var reads atomic.Int32
	f.applier.Hooks.AfterShadowRead = func() error {
		// 1: the whole batch (fails on the bad record), 2: the left
		// half, 3: the right half, which Spanner fails as a whole.
		if reads.Add(1) == 3 {
			return status.Error(codes.Unavailable, "test: Spanner unavailable")
		}
		return nil
	}
	bad := rec(2, 1, 0, "child")
	bad.Mod.NewValuesJSON = `{"Name":"child","ParentId":"42"}` // no parent 42: MySQL refuses it
	batch := []record.Record{rec(1, 1, 0, "a1"), rec(3, 1, 0, "c1"), bad, rec(4, 1, 0, "d1")}
	out, err := f.applier.ApplyIsolating(context.Background(), f.db, batch)
	if spanner.ErrCode(err) != codes.Unavailable {
		t.Fatalf("err %v, want the right half's UNAVAILABLE", err)
	}
	if len(out.Applied) != 2 || len(out.Failed) != 2 {
		t.Fatalf("outcome %+v, want 1 and 3 applied, 2 and 4 failed", out)
	}
	for _, fl := range out.Failed {
		if spanner.ErrCode(fl.Err) != codes.Unavailable {
			t.Errorf("record %s failed with %v, want the whole-batch error", fl.Record.Mod.KeysJSON, fl.Err)
		}
	}
	if got := fmt.Sprint(f.rows(t)); got != "map[1:a1 3:c1]" {
		t.Errorf("MySQL = %s", got)
	}
}

// A batch whose Spanner transaction is aborted at every attempt (as
// Spanner aborts one left idle while MySQL does not answer) is not retried
// forever: Apply gives up at BatchTimeout with a connection-class error.
func TestTransactionAbortedAtEveryAttemptStopsAtBatchTimeout(t *testing.T) {
	f := newFixture(t)
	var attempts atomic.Int32
	f.applier.Hooks.AfterShadowRead = func() error {
		attempts.Add(1)
		return status.Error(codes.Aborted, "test: transaction aborted")
	}
	out, err := applyOrHang(t, f.applier, f.db, []record.Record{rec(1, 1, 0, "a1")})
	requireTimeout(t, err)
	if n := attempts.Load(); n < 2 {
		t.Errorf("the closure ran %d times: the aborts were not retried, the test proves nothing", n)
	}
	t.Logf("gave up after %d attempts: %v", attempts.Load(), err)
	if len(out.Applied) != 0 || len(f.rows(t)) != 0 {
		t.Errorf("applied %d, MySQL %v: want nothing", len(out.Applied), f.rows(t))
	}
	f.requireNoShadowRow(t, 1)
}
