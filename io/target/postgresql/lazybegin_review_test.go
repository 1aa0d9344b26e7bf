package postgresql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
)

// TestPreparedStatementNeverSkipsTheKeyLocks (review of the deferred
// locks): a statement prepared in the transaction (database/sql's
// Tx.PrepareContext, or Tx.Stmt of a pool statement) runs through pgx's
// own statement, not through lazyConn, so a lock deferred to it would not
// go out before it: after a prepare, LockKeys takes the locks at once. No
// production path prepares in a transaction.
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

// TestLazyFailedRollbackRetiresTheConnection: a ROLLBACK that could not be
// sent (its context, BeginTx's, had ended) leaves the server inside the
// transaction, with its writes. pgx's own Tx closes the connection then
// (dbTx.Rollback: conn.die), so nothing can ever commit those writes. The
// lazy connection must not start another transaction on it either: a
// BEGIN sent there only draws a warning, and the next COMMIT commits the
// writes of the transaction whose rollback was asked for.
func TestLazyFailedRollbackRetiresTheConnection(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	onLazyConn(t, db, func(c *lazyConn) error {
		txCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		tx, err := c.BeginTx(txCtx, driver.TxOptions{Isolation: driver.IsolationLevel(sql.LevelReadCommitted)})
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (1, 'rolled back')`, nil); err != nil {
			return err
		}
		cancel() // the transaction's context ends: its ROLLBACK cannot be sent
		if err := tx.Rollback(); err == nil {
			t.Fatal("a ROLLBACK under an ended context went through")
		}
		if c.IsValid() {
			t.Error("the connection is valid after a failed ROLLBACK")
		}
		tx, err = c.BeginTx(ctx, driver.TxOptions{Isolation: driver.IsolationLevel(sql.LevelReadCommitted)})
		if err != nil {
			return nil // refused: what pgx's closed connection does
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (2, 'b')`, nil); err != nil {
			return nil
		}
		if err := tx.Commit(); err != nil {
			return nil
		}
		var v string
		if err := d.DB.QueryRow(`SELECT v FROM app.lazy_t WHERE id = 1`).Scan(&v); err == nil {
			t.Errorf("a transaction on the connection whose ROLLBACK failed committed the rolled-back row (%q)", v)
		}
		return nil
	})
}

// TestLazyBatchErrorsClassified: the server's refusal of a statement sent
// in a pipeline, at its preparation (a missing table) or its execution
// (a unique clash), is still classified by its SQLSTATE (Classify sees the
// *pgconn.PgError through pgx's batch errors).
func TestLazyBatchErrorsClassified(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	if _, err := d.DB.Exec(`INSERT INTO app.lazy_t VALUES (1, 'a')`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name, sql string
		commit    bool
		want      string
	}{
		{"prepare, first", `INSERT INTO app.no_such VALUES ($1)`, false, UndefinedTable},
		{"prepare, first, commit", `INSERT INTO app.no_such VALUES ($1)`, true, UndefinedTable},
		{"execute, first, commit", `INSERT INTO app.lazy_t VALUES ($1)`, true, UniqueViolation},
	} {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err != nil {
			t.Fatal(err)
		}
		ectx := ctx
		if c.commit {
			ectx = target.CommitWith(ctx)
		}
		_, err = tx.ExecContext(ectx, c.sql, 1)
		var te *target.Error
		if cerr := Classify(err); !errors.As(cerr, &te) || te.SQLState != c.want {
			t.Errorf("%s: %v classified as %#v, want SQLSTATE %s", c.name, err, te, c.want)
		}
		_ = tx.Rollback()
	}
}

// TestLazyFailedRollbackThroughSQLConn is TestLazyFailedRollbackRetiresTheConnection
// through database/sql: a Tx of a sql.Conn whose context ends, rolled back
// by its owner at once (before database/sql's own watcher does, which
// would discard the connection), fails its ROLLBACK; database/sql keeps
// the connection in the sql.Conn (the error is not driver.ErrBadConn), and
// the sql.Conn's next transaction must not commit the rolled-back row.
// With pgx's own transactions the connection is closed and the next
// BeginTx answers driver.ErrBadConn.
func TestLazyFailedRollbackThroughSQLConn(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	for i := range 5 {
		if _, err := d.DB.Exec(`TRUNCATE app.lazy_t`); err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		txCtx, cancel := context.WithCancel(ctx)
		tx, err := conn.BeginTx(txCtx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (1, 'rolled back')`); err != nil {
			t.Fatal(err)
		}
		cancel()
		_ = tx.Rollback()
		if tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted}); err == nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (2, 'b')`); err == nil {
				_ = tx.Commit()
			} else {
				_ = tx.Rollback()
			}
		}
		conn.Close()
		var n int
		if err := d.DB.QueryRow(`SELECT count(*) FROM app.lazy_t WHERE id = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("try %d: the row of the transaction rolled back was committed by the next one", i)
		}
	}
}

// TestLazyCancelledCommitWithDoesNotCommitLater (review): a statement of a
// CommitWith context that waits for a row lock while its context ends is
// reported failed, and pgx closes the connection; the server rolls the
// transaction back once the statement ends. Had the COMMIT been sent with
// the statement, it would commit then, after the batch was reported
// failed: PostgreSQL never merges the COMMIT (lazybegin.go).
func TestLazyCancelledCommitWithDoesNotCommitLater(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	if _, err := d.DB.Exec(`INSERT INTO app.lazy_t VALUES (1, 'before')`); err != nil {
		t.Fatal(err)
	}
	blocker, err := d.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback() //nolint:errcheck // test cleanup
	if _, err := blocker.Exec(`SELECT * FROM app.lazy_t WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (2, 'first statement')`); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := tx.ExecContext(target.CommitWith(sctx), `UPDATE app.lazy_t SET v = 'after' WHERE id = 1`); err == nil {
		t.Fatal("the statement waiting for the lock went through")
	}
	_ = tx.Rollback()
	if err := blocker.Commit(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the server process gets the lock and goes on
	var v string
	if err := d.DB.QueryRow(`SELECT v FROM app.lazy_t WHERE id = 1`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if n := lazyRows(t, d); v != "before" || n != 1 {
		t.Errorf("a transaction reported failed (cancelled) committed afterwards: row 1 is %q, %d rows", v, n)
	}
}

// TestLazyFirstStatementRefusedFailsTheTransaction: in PostgreSQL a
// statement the server refuses aborts its transaction: what follows fails
// (25P02) and the COMMIT answers ROLLBACK, which pgx's Tx reports
// (pgx.ErrTxCommitRollback). A transaction's first statement sent in a
// pipeline with its BEGIN may be refused before the BEGIN runs: pgx's
// batch prepares the statements it has not cached (Parse, Sync) before
// sending the BEGIN. The transaction must fail all the same, not commit
// the statements after it.
func TestLazyFirstStatementRefusedFailsTheTransaction(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO app.no_such VALUES ($1)`, 1); err == nil {
		t.Fatal("a statement on a missing table went through")
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, $2)`, 1, "after the refused statement")
	cerr := tx.Commit()
	if err == nil && cerr == nil {
		t.Errorf("the transaction whose first statement the server refused committed")
	}
	if n := lazyRows(t, d); n != 0 {
		t.Errorf("%d rows committed after a refused statement, want 0", n)
	}
}
