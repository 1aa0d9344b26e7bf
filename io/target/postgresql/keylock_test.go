package postgresql

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
	"github.com/revrepl/spanner-to-sourcedb/pure/keylock"
)

// Two batches lock overlapping keys, given in opposite orders. Each takes
// its keys in ascending order, so neither ever holds a key the other
// waits for while it waits for one the other holds: no deadlock. The
// interleaving is forced: a third transaction holds the lower key a; the
// first batch (a, b) queues for it holding nothing; the second (b, a)
// then comes. Taken in its own order, the second would take b and queue
// for a; once a is free the first would take it and wait for b: a cycle,
// which PostgreSQL breaks by failing one of them (deadlock detected).
func TestLockKeysInOppositeOrdersNeverDeadlock(t *testing.T) {
	d, db := sessionPool(t, 4, `CREATE TABLE app.items (id text PRIMARY KEY, v text)`)
	ctx := context.Background()
	cols, keys := []string{"id", "v"}, []string{"id"}
	a, b := targettest.Up("items", 1, cols, keys, "1", "x"), targettest.Up("items", 1, cols, keys, "2", "y")
	ka, kb := keylock.Hash("app", "items", a.Row.KeyValues), keylock.Hash("app", "items", b.Row.KeyValues)
	if ka > kb {
		a, b, ka, kb = b, a, kb, ka
	}
	open := func() target.Session {
		return begun(ctx, t, db)
	}
	// The locks go out with the transaction's next statement: one is
	// sent after them.
	lock := func(s target.Session, changes ...target.Change) error {
		if err := s.(target.KeyLocker).LockKeys(ctx, changes); err != nil {
			return err
		}
		_, err := s.(*session).tx.ExecContext(ctx, "SELECT 1")
		return err
	}
	holder := open()
	if err := lock(holder, a); err != nil {
		t.Fatal(err)
	}
	if got, want := advisoryLocks(t, d), fmt.Sprintf("[%d/%d]", KeyLockClass, uint32(ka)); got != want {
		t.Fatalf("advisory locks held %s, want %s (the key of a)", got, want)
	}
	// Each batch ends its transaction once its keys are locked, so that
	// the other may go on.
	lockAndEnd := func(s target.Session, changes ...target.Change) chan error {
		done := make(chan error, 1)
		go func() {
			err := lock(s, changes...)
			_ = s.Rollback()
			done <- err
		}()
		return done
	}
	first := lockAndEnd(open(), a, b)
	waitForLockWaits(t, d, 1)
	second := lockAndEnd(open(), b, a)
	waitForLockWaits(t, d, 2)
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	for name, done := range map[string]chan error{"first": first, "second": second} {
		if err := <-done; err != nil {
			t.Errorf("the %s batch: %v", name, err)
		}
	}
}

// A batch's transaction runs at READ COMMITTED whatever the server's
// default: its statements after LockKeys must see what the transactions
// it waited for committed (keylock.go).
func TestSessionRunsAtReadCommitted(t *testing.T) {
	d := testenv.PostgreSQL(t)
	if _, err := d.DB.Exec(`ALTER DATABASE "` + d.Name + `" SET default_transaction_isolation = 'serializable'`); err != nil {
		t.Fatal(err)
	}
	db, release, err := Acquire(shardOf(d, d.User, d.Password), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx := context.Background()
	s, err := Target{}.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var def, level string
	if err := s.(*session).conn.QueryRowContext(ctx, "SHOW default_transaction_isolation").Scan(&def); err != nil || def != "serializable" {
		t.Fatalf("the connection's default is %q (%v): the test proves nothing", def, err)
	}
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Rollback()
	if err := s.(*session).tx.QueryRowContext(ctx, "SHOW transaction_isolation").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "read committed" {
		t.Errorf("the batch's transaction runs at %s, want read committed", level)
	}
}

// advisoryLocks lists the advisory locks granted in d's database, as
// classid/objid of the two-key form.
func advisoryLocks(t *testing.T, d testenv.PGDatabase) string {
	t.Helper()
	var got string
	err := d.DB.QueryRow(`SELECT '[' || COALESCE(string_agg(classid::text || '/' || objid::text, ' ' ORDER BY objid::bigint), '') || ']'
		FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&got)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// waitForLockWaits waits until n transactions of d's database wait for a
// lock.
func waitForLockWaits(t *testing.T, d testenv.PGDatabase, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var got int
		err := d.DB.QueryRow(`SELECT COUNT(*) FROM pg_locks WHERE NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
	}
	t.Fatalf("%d transactions never came to wait for a lock", n)
}
