package apply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// A batch the client gives up while its last write waits for a row lock
// is reported failed; the shard must not commit it afterwards, once the
// lock comes. The driver gives up a statement by closing its connection,
// which the server only notices after the statement, and on MySQL that
// write carries the COMMIT (target.CommitWith), which would then run. So
// the attempt abandons the session: its server thread is killed (MySQL)
// or its backend terminated (PostgreSQL), over a connection of its own.

// blockedBatch holds key 1 of Items in a transaction of the test's own
// (the blocker), runs a batch writing key 1 through db with ctx in the
// background, and returns once the batch's write waits for the blocker's
// lock: the server thread (MariaDB) or backend (PostgreSQL) that waits,
// the blocker, and the batch's error when it returns.
func (f *srcFixture) blockedBatch(t *testing.T, ctx context.Context, db *sql.DB) (int64, *sql.Tx, <-chan error) {
	t.Helper()
	blocker, err := f.admin.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = blocker.Rollback() })
	if _, err := blocker.Exec(fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES (1, 'blocker')",
		f.quote("Items"), f.quote("Id"), f.quote("Name"))); err != nil {
		t.Fatal(err)
	}
	waiting := "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND STATE = 'Update' AND INFO LIKE 'INSERT INTO `Items`%'"
	if f.kind == "postgresql" {
		waiting = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO %\"Items\"%'"
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.applier.ApplyIsolating(ctx, db, []record.Record{rec(1, 1, 0, "batch")})
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var thread int64
		err := f.admin.QueryRow(waiting, f.dbName).Scan(&thread)
		if err == nil {
			return thread, blocker, done
		}
		if !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("the batch ended before it waited for the blocker's lock: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the batch's write never waited for the blocker's lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failed waits for the batch to return, and fails the test unless it
// returned an error that is matches accepts.
func failed(t *testing.T, done <-chan error, matches func(error) bool) {
	t.Helper()
	select {
	case err := <-done:
		if err == nil || !matches(err) {
			t.Fatalf("the batch given up returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the batch given up did not return")
	}
}

// committedNothingLater releases the blocker's lock and checks that the
// batch given up did not commit once it came.
func (f *srcFixture) committedNothingLater(t *testing.T, blocker *sql.Tx) {
	t.Helper()
	if err := blocker.Rollback(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a surviving server thread would get the lock and go on
	if got := f.rows(t); len(got) != 0 || f.shadowSec(t, 1) != -1 {
		t.Errorf("a batch reported failed committed afterwards: rows %v, shadow version %d", got, f.shadowSec(t, 1))
	}
}

// TestSourceCancelledWhileBlockedCommitsNothingLater: the bundle's context
// ends (not the attempt's deadline) while the last write waits.
func TestSourceCancelledWhileBlockedCommitsNothingLater(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, blocker, done := f.blockedBatch(t, ctx, f.db)
			cancel()
			failed(t, done, func(err error) bool { return errors.Is(err, context.Canceled) })
			f.committedNothingLater(t, blocker)
		})
	}
}

// TestSourceConnectionLostWhileBlockedIsNeverReportedFailedButCommitted:
// the driver's read timeout (socketTimeout in connectionProperties), not a
// context, gives up the last write while it waits: the connection is
// lost, the attempt's context still runs. The lock comes 2 s later, while
// the batch is still being tried (its deadline, MySQLTimeout, is 8 s): a
// server thread still running then would commit. The batch may end
// applied (a later try got the lock) or failed, but never reported failed
// with its row committed.
func TestSourceConnectionLostWhileBlockedIsNeverReportedFailedButCommitted(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			shard := f.shard
			if kind == "postgresql" {
				shard.ConnectionProperties += "&socketTimeout=1" // seconds, as pgJDBC's
			} else {
				shard.ConnectionProperties = "socketTimeout=1000" // milliseconds, as Connector/J's
			}
			db, release, err := f.applier.Target.Acquire(shard, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			start := time.Now() // before the attempt's deadline starts
			_, blocker, done := f.blockedBatch(t, context.Background(), db)
			released := time.Now().Add(2 * time.Second)
			time.AfterFunc(time.Until(released), func() { _ = blocker.Rollback() })
			var berr error
			select {
			case berr = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the batch did not return")
			}
			// Not a timing assertion: a batch whose connection was lost
			// must not hang until its deadline ends the transaction.
			if d := time.Since(start); d >= MySQLTimeout {
				t.Errorf("the batch returned (%v) only after %v, when its deadline ended its transaction (MySQLTimeout %v)", berr, d, MySQLTimeout)
			}
			// A surviving server thread goes on once the lock comes.
			time.Sleep(time.Until(released) + 500*time.Millisecond)
			rows, sec := f.rows(t), f.shadowSec(t, 1)
			switch {
			case berr != nil && (len(rows) != 0 || sec != -1):
				t.Errorf("the batch was reported failed (%v) but committed: rows %v, shadow version %d", berr, rows, sec)
			case berr == nil && (rows[1] != "batch" || sec != 1):
				t.Errorf("the batch was reported applied but rows are %v, shadow version %d", rows, sec)
			}
		})
	}
}

// TestAbandonedSessionEndsBesideABusyPool: every connection of the
// writer's pool is taken, or waited for, by other batches (here, holders
// that keep it for longer than the kill may take) when a batch is given up. Its server
// thread must still end at once: a KILL queued for the pool would wait for
// a free connection, and the write it must stop would meanwhile get its
// lock and commit.
func TestAbandonedSessionEndsBesideABusyPool(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			shard := f.shard
			shard.ConnectionProperties += "&connectTimeout=7" // another pool than f.db's
			db, release, err := f.applier.Target.Acquire(shard, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			thread, blocker, done := f.blockedBatch(t, ctx, db)
			// Holders wait for the pool's only connection, taken by the
			// batch: the one it frees goes to one of them (the kill asks
			// for one only after), and each keeps it for longer than the
			// kill may take (killTimeout, 2 s).
			var holders sync.WaitGroup
			for range 2 {
				holders.Go(func() {
					c, err := db.Conn(context.Background())
					if err != nil {
						return
					}
					time.Sleep(3 * time.Second)
					_ = c.Close()
				})
			}
			defer holders.Wait()
			time.Sleep(200 * time.Millisecond) // the holders queue for the pool
			cancel()
			failed(t, done, func(err error) bool { return errors.Is(err, context.Canceled) })
			alive := "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?"
			if kind == "postgresql" {
				alive = "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1"
			}
			// The kill only signals the thread: it may show a moment
			// longer, but far less than the holders keep the pool.
			for end := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
				var n int
				if err := f.admin.QueryRow(alive, thread).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				if time.Now().After(end) {
					t.Fatalf("the given-up batch's server thread %d still runs beside a busy pool", thread)
				}
			}
			f.committedNothingLater(t, blocker)
		})
	}
}
