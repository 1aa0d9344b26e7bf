package apply

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// TestSourceCancelledWhileBlockedCommitsNothingLater: a batch whose
// context ends (the bundle's, not the attempt's deadline) while its last
// write waits for a row lock is reported failed; the shard must not commit
// it afterwards, once the lock comes. On MySQL that write carries the
// COMMIT (target.CommitWith), and the driver gives up a cancelled
// statement by closing its connection, which the server only notices
// after the statement: the COMMIT would run. So the attempt abandons the
// session (the server thread is killed), as after a missed deadline.
func TestSourceCancelledWhileBlockedCommitsNothingLater(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			blocker, err := f.admin.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer blocker.Rollback() //nolint:errcheck // test cleanup
			if _, err := blocker.Exec(fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES (1, 'blocker')",
				f.quote("Items"), f.quote("Id"), f.quote("Name"))); err != nil {
				t.Fatal(err)
			}
			waiting := "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE state = 'Update' AND info LIKE 'INSERT INTO `Items`%'"
			if kind == "postgresql" {
				waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := f.applier.ApplyIsolating(ctx, f.db, []record.Record{rec(1, 1, 0, "batch")})
				done <- err
			}()
			// The fault: the batch's write waits for the blocker's row lock
			// when its context ends.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var n int
				if err := f.admin.QueryRow(waiting).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
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
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("the cancelled batch returned %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the cancelled batch did not return")
			}
			if err := blocker.Rollback(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond) // a surviving server thread would get the lock and go on
			if got := f.rows(t); len(got) != 0 || f.shadowSec(t, 1) != -1 {
				t.Errorf("a batch reported cancelled committed afterwards: rows %v, shadow version %d", got, f.shadowSec(t, 1))
			}
		})
	}
}
