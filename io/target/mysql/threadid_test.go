package mysql

import (
	"context"
	"testing"

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
