package mysql

import (
	"context"
	"reflect"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
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
			if th, ok := threadIDs.m[key]; !ok || th.id != s.id || th.host == "" {
				t.Errorf("threadIDs holds %+v, %v for the connection; want thread %d and its client address", th, ok, s.id)
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

// TestAbandonKillsOnlyItsOwnSession (review rev16): a session abandoned
// between statements (its deadline passed while the connection was still
// sound) must not hand its connection to another session before killing
// its thread: the other session, waiting for a connection of the full
// pool, would get it, and the KILL would end that session's transaction.
func TestAbandonKillsOnlyItsOwnSession(t *testing.T) {
	db, _ := testenv.MySQL(t)
	db.SetMaxOpenConns(2)
	ctx := context.Background()
	open := func(ctx context.Context) *session {
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
	waits := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); db.Stats().WaitCount < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d waits for a connection, want %d", db.Stats().WaitCount, n)
			}
		}
	}
	// The abandoned session's deadline passes between statements: its
	// transaction is rolled back, its connection still sound.
	deadline, expire := context.WithCancel(ctx)
	abandoned, other := open(deadline), open(ctx) // the pool is full
	expire()
	next := make(chan target.Session, 1)
	go func() {
		sess, err := Target{}.Connect(ctx, db) // waits for a connection
		if err != nil {
			t.Error(err)
		}
		next <- sess
	}()
	waits(1)
	done := make(chan struct{})
	go func() { abandoned.Abandon(ctx); close(done) }()
	waits(2) // the KILL waits for a connection too
	if err := other.Rollback(); err != nil {
		t.Fatal(err)
	}
	other.Close() // the KILL runs on this one
	<-done
	sess := <-next
	if sess == nil {
		return
	}
	defer sess.Close()
	s := sess.(*session)
	err := s.Begin(ctx)
	if err == nil {
		var one int
		err = s.tx.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		s.Rollback()
	}
	if err != nil {
		t.Errorf("the session that waited for a connection while another was abandoned: %v", err)
	}
}

// TestKillSparesAnotherThreadOfItsID: Abandon kills only the thread its
// session read. After a restart of the server, or a switch to another
// behind the same address, the same thread id is another connection's, of
// another client address: here the session's record of its thread's
// address is made another's, and its live thread must stay.
func TestKillSparesAnotherThreadOfItsID(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	db := lazyPool(t, dsn, 0)
	ctx := context.Background()
	sess, err := Target{}.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	s := sess.(*session)
	defer s.Close()
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Rollback() //nolint:errcheck // test cleanup
	if s.id == 0 || s.host == "" || s.side == nil {
		t.Fatalf("the session read thread %d, address %q, connector aside %v", s.id, s.host, s.side)
	}
	alive := func() bool {
		t.Helper()
		var n int
		// A killed thread may stay listed a moment, as Killed.
		if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND <> 'Killed'", s.id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	kill := func() {
		t.Helper()
		c, err := admin.Conn(ctx) // a connection aside, as Abandon's
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := s.kill(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	host := s.host
	s.host = "198.51.100.7:3306"
	kill()
	time.Sleep(300 * time.Millisecond) // a killed thread would be gone by now
	var one int
	if !alive() || s.tx.QueryRowContext(ctx, "SELECT 1").Scan(&one) != nil {
		t.Fatal("kill ended a thread of another client address than its session's")
	}
	s.host = host
	kill()
	for end := time.Now().Add(2 * time.Second); alive(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("kill left the session's own thread")
		}
	}
}
