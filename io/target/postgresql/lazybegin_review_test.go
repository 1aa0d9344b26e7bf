package postgresql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
)

// TestPreparedStatementNeverSkipsTheKeyLocks: a statement prepared in
// the transaction (database/sql's Tx.PrepareContext, or Tx.Stmt of a
// pool statement) runs through pgx's own stdlib.Stmt, not through
// lazyConn: a lock LockKeys deferred afterwards does not go out before it.
// No production path prepares today; this pins the hazard.
func TestPreparedStatementNeverSkipsTheKeyLocks(t *testing.T) {
	d, db := sessionPool(t, 2, lazyDDL)
	ctx := context.Background()
	s := begun(ctx, t, db).(*session)
	st, err := s.tx.PrepareContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, $2)`)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	up := targettest.Up("lazy_t", 1, []string{"id", "v"}, []string{"id"}, int64(1), "a")
	if err := s.LockKeys(ctx, []target.Change{up}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ExecContext(ctx, int64(1), "a"); err != nil {
		t.Fatal(err)
	}
	if got := advisoryLocks(t, d); got == "[]" {
		t.Error("a row statement ran in the transaction without the key locks LockKeys took before it")
	}
}

// TestLockTimeoutOnDeferredLockClassified: a lock timeout on the
// deferred lock statement now surfaces from Write (not LockKeys); it must
// still be WholeBatch and Answered (apply's rolledBack), and the row
// statement after it must not have run.
func TestLockTimeoutOnDeferredLockClassified(t *testing.T) {
	d, db := sessionPool(t, 4, lazyDDL)
	ctx := context.Background()
	cols, keys := []string{"id", "v"}, []string{"id"}
	up := func(v string) target.Change { return targettest.Up("lazy_t", 1, cols, keys, int64(1), v) }
	holder := begun(ctx, t, db)
	if err := holder.(target.KeyLocker).LockKeys(ctx, []target.Change{up("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Write(ctx, []target.Change{up("a")}); err != nil {
		t.Fatal(err)
	}
	s := begun(ctx, t, db).(*session)
	if _, err := s.tx.ExecContext(ctx, `SET LOCAL lock_timeout = '200ms'`); err != nil {
		t.Fatal(err)
	}
	if err := s.LockKeys(ctx, []target.Change{up("b")}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Write(ctx, []target.Change{up("b")})
	var te *target.Error
	if !errors.As(err, &te) || !te.WholeBatch || !te.Answered || te.SQLState != LockNotAvailable {
		t.Fatalf("Write after a timed-out deferred lock: %v (%+v), want a WholeBatch, Answered 55P03", err, te)
	}
	if !strings.Contains(err.Error(), "locking the batch's keys") {
		t.Errorf("Write's error %q does not say it was the key locks", err)
	}
	if !target.IsConnection(err) || target.RowLevel(err) {
		t.Errorf("IsConnection %t RowLevel %t, want true false", target.IsConnection(err), target.RowLevel(err))
	}
	if cerr := s.Commit(); cerr == nil {
		t.Error("Commit after the failed deferred lock succeeded")
	}
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, d, `SELECT id, v FROM app.lazy_t`); got != "(1,a)" {
		t.Errorf("rows %s, want (1,a)", got)
	}
}
