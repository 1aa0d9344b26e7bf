package mysql

import (
	"context"
	"reflect"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// TestSessionThreadIsTheConnections: a session knows its connection's
// server thread (the one Abandon kills) also when the connection was used
// before and its thread came from threadIDs, and two connections at once
// have their own threads.
func TestSessionThreadIsTheConnections(t *testing.T) {
	db, _ := testenv.MySQL(t)
	db.SetMaxOpenConns(2)
	ctx := context.Background()
	actual := func(s *session) int64 {
		t.Helper()
		var id int64
		if err := s.tx.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	open := func() *session {
		t.Helper()
		sess, err := Target{}.Connect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		s := sess.(*session)
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for round := 0; round < 3; round++ {
		a, b := open(), open()
		if a.id == 0 || a.id != actual(a) || b.id != actual(b) || a.id == b.id {
			t.Fatalf("round %d: sessions note threads %d and %d; their connections are %d and %d", round, a.id, b.id, actual(a), actual(b))
		}
		for _, s := range []*session{a, b} {
			if err := s.Rollback(); err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
	}
}

// TestThreadIDsKeepNoClosedConnection (review rev16): threadIDs must not
// keep alive the driver connections the pools have closed. Each one holds
// its buffers (up to 256 KiB once it has written a large batch), and the
// map only forgot them once it reached maxThreadIDs entries: up to a
// thousand closed connections, and their buffers, per worker.
func TestThreadIDsKeepNoClosedConnection(t *testing.T) {
	db, _ := testenv.MySQL(t)
	db.SetMaxIdleConns(0) // a connection handed back is closed
	ctx := context.Background()
	var dead weak.Pointer[byte]
	func() {
		sess, err := Target{}.Connect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		s := sess.(*session)
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.conn.Raw(func(dc any) error {
			dead = weak.Make((*byte)(reflect.ValueOf(dc).UnsafePointer()))
			// The next session on this connection finds its thread.
			key, _ := connKey(dc)
			threadIDs.Lock()
			defer threadIDs.Unlock()
			if id, ok := threadIDs.m[key]; !ok || id != s.id {
				t.Errorf("threadIDs holds %d, %v for the connection; want %d", id, ok, s.id)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Rollback(); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}()
	for i := 0; i < 10 && dead.Value() != nil; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the driver's watcher goroutine ends
	}
	if dead.Value() != nil {
		t.Error("a closed driver connection is still reachable after its session: threadIDs keeps it")
	}
}
