package apply

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// The kinds of target a writer of a key must wait on, at every isolation
// level the writer may meet: the speculation kinds, and PostgreSQL whose
// default is REPEATABLE READ (the writer's transactions must still see
// what the writers they waited for committed).
var lockKinds = append(specKinds[:len(specKinds):len(specKinds)], "postgresql repeatable read")

// The package doc's premise: a writer W whose transaction M wrote a row
// and has not ended (here W lost its shadow locks after step 4, so its
// Spanner commit will fail, but M's commit is on its way) makes every later
// writer T of the row wait for M in the target. The row is new: M inserted
// it. T deletes it with a newer change and records the delete in the
// shadow row; the target must end without the row.
//
// InnoDB's DELETE waits for the inserted row's lock. PostgreSQL's does not
// see an uncommitted row and deletes nothing at once; M's insert then
// commits after T's delete, and the row outlives the delete recorded in
// its shadow row, which nothing repairs: the writers must lock the keys
// (keylock.go), and T's DELETE must see what M committed while T waited.
func TestWriterWaitsForAnotherWritersInsertBeforeDeleting(t *testing.T) {
	for _, kind := range lockKinds {
		t.Run(kind, func(t *testing.T) {
			f, rows := newFixtureOn(t, kind)
			requireDeleteWaitsForInsert(t, f, kind, rec(1, 2, 0, ""), rows)
		})
	}
}

// requireDeleteWaitsForInsert runs another writer W's transaction M as
// the applier runs it, an uncommitted insert of row 1 at version 1, then
// applies del (a delete of row 1 at version 2) beside it, and requires
// that the delete waited for M, was applied and recorded, and that the
// target ends without the row.
func requireDeleteWaitsForInsert(t *testing.T, f *fixture, kind string, del record.Record, rows func(*testing.T) map[int64]string) {
	t.Helper()
	ctx := context.Background()
	w := otherWriter(f)
	p, err := w.prepare(ctx, rec(1, 1, 0, "w"))
	if err != nil {
		t.Fatal(err)
	}
	changes := w.changes([]*prepared{&p})
	m, err := w.openWriting(ctx, f.db, changes)
	if err != nil {
		t.Fatal(err)
	}
	defer m.rollback()
	if refused, err := m.sess.Write(m.ctx, changes); err != nil || len(refused) > 0 {
		t.Fatalf("W's insert: refused %v, %v", refused, err)
	}
	type result struct {
		out Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := f.applier.Apply(ctx, f.db, []record.Record{del})
		done <- result{out, err}
	}()
	waited := waitUntilBlocked(t, f.db, kind, done)
	if err := m.sess.Commit(); err != nil {
		t.Fatalf("committing W's transaction: %v", err)
	}
	m.close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.out.Applied) != 1 {
		t.Fatalf("outcome %+v, want the delete applied", r.out)
	}
	if got := f.shadowSec(t, 1); got != 2 {
		t.Fatalf("shadow row 1 at %d, want 2", got)
	}
	if got := fmt.Sprint(rows(t)); got != "map[]" {
		t.Errorf("target = %s, want map[]: the delete at version 2 is recorded over the insert at version 1, which outlives it", got)
	}
	if !waited {
		t.Errorf("the delete did not wait for W's transaction")
	}
}

// A speculation upserts before the batch holds the shadow locks; it takes
// its keys' locks too, so that a delete after it waits for it as for step
// 3 (the test above shows why).
func TestSpeculationLocksItsKeys(t *testing.T) {
	f, _ := newFixtureOn(t, "postgresql")
	ctx := context.Background()
	var sp speculations
	f.applier.Hooks.Speculated = sp.hook
	held := -1
	var heldErr error
	f.applier.Hooks.SpeculativeWrite = func() {
		heldErr = f.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2 AND database = (
				SELECT oid FROM pg_database WHERE datname = current_database())`, postgresql.KeyLockClass).Scan(&held)
	}
	out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 1, 0, "a"), rec(2, 1, 0, "b")})
	if err != nil {
		t.Fatal(err)
	}
	if used, wasted := sp.counts(); used != 1 || wasted != 0 {
		t.Fatalf("speculations used %d, wasted %d: want one used, or the test proves nothing", used, wasted)
	}
	if len(out.Applied) != 2 {
		t.Errorf("outcome %+v, want both applied", out)
	}
	if heldErr != nil || held != 2 {
		t.Errorf("the speculation held %d key locks (%v) once written, want 2", held, heldErr)
	}
}

// waitUntilBlocked waits until a transaction of db's database waits for a
// lock (true), or until done has a value (false): T finished without
// waiting. db is left untouched on done.
func waitUntilBlocked[R any](t *testing.T, db *sql.DB, kind string, done chan R) bool {
	t.Helper()
	q := `SELECT COUNT(*) FROM information_schema.INNODB_TRX t
		JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
		WHERE t.trx_state = 'LOCK WAIT' AND p.DB = DATABASE()`
	if strings.HasPrefix(kind, "postgresql") {
		q = `SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE NOT l.granted AND a.datname = current_database()`
	}
	// INNODB_TRX is refreshed only once it has not been read for 100 ms:
	// read less often than that.
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return true
		}
		select {
		case r := <-done:
			done <- r // for the caller
			return false
		case <-tick.C:
		}
	}
}
