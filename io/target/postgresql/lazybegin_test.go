package postgresql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
)

const lazyDDL = `CREATE TABLE app.lazy_t (id bigint PRIMARY KEY, v text)`

// lazyRows counts the rows of app.lazy_t another connection sees.
func lazyRows(t *testing.T, d testenv.PGDatabase) int {
	t.Helper()
	var n int
	if err := d.DB.QueryRow(`SELECT count(*) FROM app.lazy_t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// backendState is what pg_stat_activity says of server process pid:
// "idle", "idle in transaction", ...
func backendState(t *testing.T, d testenv.PGDatabase, pid int64) string {
	t.Helper()
	var st string
	if err := d.DB.QueryRow(`SELECT state FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// onLazyConn runs f on the driver connection of one of db's connections,
// a lazyConn, to drive it without database/sql in the way.
func onLazyConn(t *testing.T, db *sql.DB, f func(c *lazyConn) error) {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error { return f(dc.(*lazyConn)) }); err != nil {
		t.Fatal(err)
	}
}

// TestLazyBeginHoldsEveryStatement: whatever the transaction's first
// statement is (a write with arguments or without, sent in one pipeline
// with BEGIN; a query or a prepared statement, each after a BEGIN of its
// own), every statement of the transaction runs inside it: another
// connection sees nothing before the commit, and a rollback leaves
// nothing. Until the first statement nothing is sent: the server process
// is idle, not in a transaction.
func TestLazyBeginHoldsEveryStatement(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	firsts := []struct {
		name  string
		first func(*sql.Tx) error
	}{
		{"write with arguments", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, $2)`, 1, "a")
			return err
		}},
		{"write without arguments", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (1, 'a')`)
			return err
		}},
		{"query", func(tx *sql.Tx) error {
			var id int64
			return tx.QueryRowContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, $2) RETURNING id`, 1, "a").Scan(&id)
		}},
		{"prepared", func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, $2)`)
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.ExecContext(ctx, 1, "a")
			return err
		}},
	}
	for _, f := range firsts {
		for _, commit := range []bool{false, true} {
			if _, err := d.DB.Exec(`TRUNCATE app.lazy_t`); err != nil {
				t.Fatal(err)
			}
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var pid int64
			if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				t.Fatal(err)
			}
			tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
			if err != nil {
				t.Fatal(err)
			}
			if st := backendState(t, d, pid); st != "idle" {
				t.Errorf("%s: after BeginTx the server process is %q, want idle (nothing sent)", f.name, st)
			}
			if err := f.first(tx); err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
			if st := backendState(t, d, pid); st != "idle in transaction" {
				t.Errorf("%s: after the first statement the server process is %q, want idle in transaction", f.name, st)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, $2)`, 2, "b"); err != nil {
				t.Fatal(err)
			}
			if n := lazyRows(t, d); n != 0 {
				t.Errorf("%s: another connection sees %d rows before the commit", f.name, n)
			}
			want := 0
			if commit {
				want = 2
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := lazyRows(t, d); n != want {
				t.Errorf("%s, commit %t: %d rows, want %d", f.name, commit, n, want)
			}
			conn.Close()
		}
	}
}

// TestLazyCommitWithIgnored: a statement of a CommitWith context does not
// commit on PostgreSQL (lazybegin.go says why): nothing is seen before the
// Tx's Commit, CommittedWith stays false, and a statement that fails
// leaves a transaction whose Commit answers the rollback, as pgx's does.
// Either way the connection is clean for its next transaction.
func TestLazyCommitWithIgnored(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		before int  // statements before the marked one
		fails  bool // the marked statement fails (a duplicate key)
		want   int
	}{
		{"only statement", 0, false, 1},
		{"after others", 2, false, 3},
		{"only statement, failing", 0, true, 0},
		{"after others, failing", 2, true, 0},
	} {
		if _, err := d.DB.Exec(`TRUNCATE app.lazy_t`); err != nil {
			t.Fatal(err)
		}
		extra := 0
		if c.fails {
			extra = 1
			if _, err := d.DB.Exec(`INSERT INTO app.lazy_t VALUES (100, 'x')`); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.before {
			if _, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, 'b')`, i+1); err != nil {
				t.Fatal(err)
			}
		}
		cctx := target.CommitWith(ctx)
		_, err = tx.ExecContext(cctx, `INSERT INTO app.lazy_t VALUES ($1, 'c')`, 100)
		if (err != nil) != c.fails {
			t.Fatalf("%s: marked statement: %v, want an error: %t", c.name, err, c.fails)
		}
		var pgErr *pgconn.PgError
		if c.fails && (!errors.As(err, &pgErr) || pgErr.Code != "23505") {
			t.Errorf("%s: error %v, want the server's unique violation", c.name, err)
		}
		if target.CommittedWith(cctx) {
			t.Errorf("%s: CommittedWith is true", c.name)
		}
		if n := lazyRows(t, d); n != extra {
			t.Errorf("%s: before the Tx's Commit another connection sees %d rows, want %d", c.name, n, extra)
		}
		err = tx.Commit()
		if c.fails && !errors.Is(err, pgx.ErrTxCommitRollback) || !c.fails && err != nil {
			t.Errorf("%s: Commit: %v", c.name, err)
		}
		if n := lazyRows(t, d); n != c.want+extra {
			t.Errorf("%s: %d rows in the end, want %d", c.name, n, c.want+extra)
		}
		// The pool's only connection is clean: its next transaction is
		// one, and a rollback undoes it.
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (500, 'n')`); err != nil {
			t.Fatalf("%s: next transaction: %v", c.name, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n := lazyRows(t, d); n != c.want+extra {
			t.Errorf("%s: after the next transaction's rollback %d rows, want %d", c.name, n, c.want+extra)
		}
	}
}

// TestLazyUnsentFirstStatementKeepsTheTransaction: a first statement that
// pgx cannot send (an argument it cannot encode) fails on the client, and
// pgx closes the connection (a pipeline it did not finish). No statement
// after it runs outside the transaction: each fails with the connection,
// or runs in the transaction, which a rollback undoes.
func TestLazyUnsentFirstStatementKeepsTheTransaction(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var cctx = ctx
		if commit {
			cctx = target.CommitWith(ctx)
		}
		if _, err := tx.ExecContext(cctx, `INSERT INTO app.lazy_t VALUES ($1, $2)`, 1, make(chan int)); err == nil {
			t.Fatal("an argument pgx cannot encode went through")
		}
		if target.CommittedWith(cctx) {
			t.Error("a statement not sent counts as committed")
		}
		_, _ = tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES ($1, $2)`, 2, "b")
		_, _ = tx.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (3, 'c')`)
		_ = tx.Rollback()
		if n := lazyRows(t, d); n != 0 {
			t.Errorf("commit %t: %d rows after the rollback, want 0", commit, n)
		}
	}
}

// TestLazyFirstStatementNotSent: a first statement whose context ended
// before anything was sent leaves the transaction to start with the next
// statement, which then runs inside it. (Through database/sql, which
// checks the context first, this is a race; the driver's connection is
// used directly here.)
func TestLazyFirstStatementNotSent(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	onLazyConn(t, db, func(c *lazyConn) error {
		tx, err := c.BeginTx(ctx, driver.TxOptions{Isolation: driver.IsolationLevel(sql.LevelReadCommitted)})
		if err != nil {
			return err
		}
		ended, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := c.ExecContext(target.CommitWith(ended), `INSERT INTO app.lazy_t VALUES (1, 'a')`, nil); err == nil {
			t.Error("a statement with an ended context went through")
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (2, 'b')`, nil); err != nil {
			return err
		}
		if n := lazyRows(t, d); n != 0 {
			t.Errorf("another connection sees %d rows before the rollback", n)
		}
		return tx.Rollback()
	})
	if n := lazyRows(t, d); n != 0 {
		t.Errorf("%d rows after the rollback, want 0", n)
	}
}

// TestLockKeysGoWithTheNextStatement: LockKeys sends nothing on the
// writer's connections; its locks go out with the next statement, in its
// round trip, and the server takes them before running that statement: a
// second writer's DELETE of the key, which alone would not see the first's
// uncommitted insert, waits until the first ends, then deletes its row.
func TestLockKeysGoWithTheNextStatement(t *testing.T) {
	d, db := sessionPool(t, 4, lazyDDL)
	ctx := context.Background()
	cols, keys := []string{"id", "v"}, []string{"id"}
	up := func(v string) target.Change { return targettest.Up("lazy_t", 1, cols, keys, int64(1), v) }
	first := begun(ctx, t, db)
	if err := first.(target.KeyLocker).LockKeys(ctx, []target.Change{up("a")}); err != nil {
		t.Fatal(err)
	}
	if got := advisoryLocks(t, d); got != "[]" {
		t.Errorf("locks held before the next statement: %s", got)
	}
	if _, err := first.Write(ctx, []target.Change{up("a")}); err != nil {
		t.Fatal(err)
	}
	if got := advisoryLocks(t, d); got == "[]" {
		t.Error("no lock held after the write that carried it")
	}
	second := begun(ctx, t, db)
	del := targettest.Del("lazy_t", 2, keys, int64(1))
	done := make(chan error, 1)
	go func() {
		if err := second.(target.KeyLocker).LockKeys(ctx, []target.Change{del}); err != nil {
			done <- err
			return
		}
		_, err := second.Write(ctx, []target.Change{del})
		done <- err
	}()
	waitForLockWaits(t, d, 1)
	select {
	case err := <-done:
		t.Fatalf("the second writer did not wait for the first's key lock: %v", err)
	default:
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := second.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, d, `SELECT id, v FROM app.lazy_t`); got != "" {
		t.Errorf("rows %s, want none: the delete ran before the lock", got)
	}
}

// TestDeferredStatementLost: when the pipeline that carries a deferred
// statement fails without the server's word on it (its context ended
// before anything was sent), no statement of the transaction runs after
// it, the COMMIT included; a rollback ends the transaction and the
// connection is clean again. A transaction that ends before anything
// carried the deferred statement never sends it.
func TestDeferredStatementLost(t *testing.T) {
	d, db := sessionPool(t, 1, lazyDDL)
	ctx := context.Background()
	onLazyConn(t, db, func(c *lazyConn) error {
		for _, open := range []bool{false, true} {
			tx, err := c.BeginTx(ctx, driver.TxOptions{})
			if err != nil {
				return err
			}
			if open {
				if _, err := c.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (1, 'a')`, nil); err != nil {
					return err
				}
			}
			if !c.deferStatement("test", `INSERT INTO app.lazy_t VALUES (2, 'deferred')`) {
				t.Fatal("a transaction refused a deferred statement")
			}
			ended, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := c.ExecContext(ended, `INSERT INTO app.lazy_t VALUES (3, 'c')`, nil); err == nil {
				t.Error("a statement with an ended context went through")
			}
			if _, err := c.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (4, 'd')`, nil); !errors.Is(err, errDeferredLost) {
				t.Errorf("open %t: a statement after the lost pipeline: %v, want errDeferredLost", open, err)
			}
			if err := tx.Commit(); !errors.Is(err, errDeferredLost) {
				t.Errorf("open %t: Commit after the lost pipeline: %v, want errDeferredLost", open, err)
			}
			if n := lazyRows(t, d); n != 0 {
				t.Errorf("open %t: %d rows, want 0", open, n)
			}
			if !c.IsValid() {
				t.Errorf("open %t: the connection is not clean after the rollback", open)
			}
		}
		// Deferred, then the transaction ends: nothing is sent.
		for _, end := range []func(driver.Tx) error{driver.Tx.Commit, driver.Tx.Rollback} {
			tx, err := c.BeginTx(ctx, driver.TxOptions{})
			if err != nil {
				return err
			}
			c.deferStatement("test", `INSERT INTO app.lazy_t VALUES (5, 'e')`)
			if err := end(tx); err != nil {
				return err
			}
		}
		// Deferred after a statement, then Commit: it runs before the
		// COMMIT.
		tx, err := c.BeginTx(ctx, driver.TxOptions{})
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO app.lazy_t VALUES (6, 'f')`, nil); err != nil {
			return err
		}
		c.deferStatement("test", `INSERT INTO app.lazy_t VALUES (7, 'g')`)
		return tx.Commit()
	})
	if got := rows(t, d, `SELECT id, v FROM app.lazy_t`); got != "(6,f) (7,g)" {
		t.Errorf("rows %s, want (6,f) (7,g)", got)
	}
}
