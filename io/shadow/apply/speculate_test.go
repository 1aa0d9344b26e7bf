package apply

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// speculations counts the batches whose speculation stood (used) or was
// thrown away (wasted).
type speculations struct {
	mu           sync.Mutex
	used, wasted int
}

func (s *speculations) hook(used bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if used {
		s.used++
	} else {
		s.wasted++
	}
}

func (s *speculations) counts() (used, wasted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.wasted
}

// A batch of changes newer than their shadow rows is written while the
// shadow rows are read, and that write is what commits.
func TestSpeculationStandsForNewChanges(t *testing.T) {
	f := newFixture(t)
	var sp speculations
	f.applier.Hooks.Speculated = sp.hook
	out, err := f.applier.Apply(context.Background(), f.db, []record.Record{rec(1, 1, 0, "a1"), rec(2, 1, 0, "b1"), rec(1, 2, 0, "a2")})
	if err != nil {
		t.Fatal(err)
	}
	if used, wasted := sp.counts(); used != 1 || wasted != 0 {
		t.Fatalf("speculations used %d, wasted %d: want the batch's one used", used, wasted)
	}
	if len(out.Applied) != 2 || out.Superseded != 1 {
		t.Errorf("outcome %+v, want 2 applied and 1 superseded", out)
	}
	if got := fmt.Sprint(f.rows(t)); got != "map[1:a2 2:b1]" {
		t.Errorf("MySQL = %s", got)
	}
	if got := f.shadowSec(t, 1); got != 2 {
		t.Errorf("shadow row 1 at %d, want 2", got)
	}
}

// A speculation writes every change as if none were older than its
// shadow row. When the shadow read finds one that is (a duplicate
// delivery, a retry), what the speculation wrote is rolled back, so the
// older change never reaches MySQL, and the batch is applied as decided.
func TestSpeculationForAStaleChangeIsRolledBack(t *testing.T) {
	cases := []struct {
		name  string
		stale record.Record // older than row 1's shadow row
		want  string
	}{
		{"older update", rec(1, 3, 0, "old"), "map[1:new 2:b]"},
		// (An older delete is never speculated on: a batch that deletes
		// runs without speculation, see speculate.go.)
		{"same version again", rec(1, 5, 0, "other"), "map[1:new 2:b]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")}); err != nil {
				t.Fatal(err)
			}
			var sp speculations
			f.applier.Hooks.Speculated = sp.hook
			out, err := f.applier.Apply(ctx, f.db, []record.Record{tc.stale, rec(2, 4, 0, "b")})
			if err != nil {
				t.Fatal(err)
			}
			if used, wasted := sp.counts(); used != 0 || wasted != 1 {
				t.Fatalf("speculations used %d, wasted %d: the stale change was not speculated on, the test proves nothing", used, wasted)
			}
			if out.Stale != 1 || len(out.Applied) != 1 {
				t.Errorf("outcome %+v, want 1 stale, 1 applied", out)
			}
			if got := fmt.Sprint(f.rows(t)); got != tc.want {
				t.Errorf("MySQL = %s, want %s", got, tc.want)
			}
			if got := f.shadowSec(t, 1); got != 5 {
				t.Errorf("shadow row 1 at %d, want 5", got)
			}
		})
	}
}

// A speculation holds the row locks of what it wrote before the batch
// holds the shadow locks. Another writer that holds the shadow locks and
// waits for one of those rows would wait for a speculation that waits for
// it: a deadlock across the two databases. The speculation gives way: once
// its statements are done it waits for the shadow read at most
// SpeculationWait, then rolls back. Here the shadow read "waits" (the
// AfterShadowRead hook) until another MySQL transaction gets row 1, which
// the speculation wrote; it gets it only because the speculation gave way.
func TestSpeculationGivesWayToAWriterWaitingForItsRows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.db.Exec("INSERT INTO Items (Id, Name) VALUES (1, 'w0')"); err != nil {
		t.Fatal(err)
	}
	f.applier.SpeculationWait = 300 * time.Millisecond
	var sp speculations
	f.applier.Hooks.Speculated = sp.hook
	written := make(chan struct{}, 1)
	f.applier.Hooks.SpeculativeWrite = func() { written <- struct{}{} }
	var otherErr error
	calls := 0
	f.applier.Hooks.AfterShadowRead = func() error {
		calls++
		if calls > 1 {
			return nil
		}
		<-written // the speculation holds row 1
		conn, err := f.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		// Fails with a lock wait timeout if the speculation keeps row 1.
		if _, err := conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 10"); err != nil {
			return err
		}
		_, otherErr = conn.ExecContext(ctx, "UPDATE Items SET Name = 'w1' WHERE Id = 1")
		return nil
	}
	out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 1, 0, "a1"), rec(2, 1, 0, "b1")})
	if err != nil {
		t.Fatal(err)
	}
	if otherErr != nil {
		t.Fatalf("the other writer waited for the speculation's row lock until: %v", otherErr)
	}
	if used, wasted := sp.counts(); used != 0 || wasted != 1 {
		t.Errorf("speculations used %d, wasted %d: want the one that gave way", used, wasted)
	}
	if len(out.Applied) != 2 {
		t.Errorf("outcome %+v, want both applied", out)
	}
	// The batch, applied after the other writer, wrote last.
	if got := fmt.Sprint(f.rows(t)); got != "map[1:a1 2:b1]" {
		t.Errorf("MySQL = %s", got)
	}
}

// After a wasted speculation the next speculationPause batches run without
// one (a run of duplicates would otherwise write every batch twice); the
// one after speculates again.
func TestSpeculationPausesAfterAWastedOne(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")}); err != nil {
		t.Fatal(err)
	}
	var sp speculations
	f.applier.Hooks.Speculated = sp.hook
	if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 3, 0, "old")}); err != nil {
		t.Fatal(err)
	}
	for i := range speculationPause {
		if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(int64(10+i), 1, 0, "x")}); err != nil {
			t.Fatal(err)
		}
	}
	if used, wasted := sp.counts(); used != 0 || wasted != 1 {
		t.Fatalf("speculations used %d, wasted %d: want none while paused", used, wasted)
	}
	if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(99, 1, 0, "y")}); err != nil {
		t.Fatal(err)
	}
	if used, _ := sp.counts(); used != 1 {
		t.Errorf("speculations used %d after the pause, want 1", used)
	}
}
