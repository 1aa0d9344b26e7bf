package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// lazyPool is a pool of the writer's connections (lazyConn) to the test
// database of admin's DSN, with the driver's maxAllowedPacket set to
// packet when not 0.
func lazyPool(t *testing.T, dsn string, packet int) *sql.DB {
	t.Helper()
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if packet > 0 {
		cfg.MaxAllowedPacket = packet
	}
	db, err := openLazy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// committedCount counts the rows of lazy_t another connection sees.
func committedCount(t *testing.T, admin *sql.DB) int {
	t.Helper()
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM lazy_t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLazyTransactionHoldsEveryStatement: whatever the first statement of
// a transaction is (a write, sent with START TRANSACTION; a locking read
// or a statement the driver must prepare, each after a START TRANSACTION
// of its own), every statement of the transaction runs inside it: a
// rollback leaves nothing, and another connection sees nothing before the
// commit. A transaction with options (read only) is the driver's own.
func TestLazyTransactionHoldsEveryStatement(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	for _, st := range []string{
		"CREATE TABLE lazy_t (id BIGINT PRIMARY KEY, v VARCHAR(4000))",
		"CREATE TABLE lazy_lock (id BIGINT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO lazy_lock VALUES (1, 'l')",
	} {
		if _, err := admin.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	long := strings.Repeat("x", 3000)
	for _, c := range []struct {
		name   string
		packet int // the driver's maxAllowedPacket; small, it prepares statements with long values
		first  func(tx *sql.Tx) error
	}{
		{"write first", 0, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?), (?, ?)", 1, "a", 2, "b")
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 2 {
				return errors.Join(err, errors.New("the insert's row count is not its own"))
			}
			return nil
		}},
		{"locking read first", 0, func(tx *sql.Tx) error {
			var v string
			if err := tx.QueryRowContext(ctx, "SELECT v FROM lazy_lock WHERE id = ? FOR UPDATE", 1).Scan(&v); err != nil {
				return err
			}
			// The read's lock is the transaction's: held until it ends.
			if _, err := admin.ExecContext(ctx, "SELECT v FROM lazy_lock WHERE id = 1 FOR UPDATE NOWAIT"); err == nil {
				return errors.New("the locking read holds no lock: it ran outside the transaction")
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 1, "a")
			return err
		}},
		{"prepared first", 1024, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 1, long)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := admin.Exec("DELETE FROM lazy_t"); err != nil {
				t.Fatal(err)
			}
			db := lazyPool(t, dsn, c.packet)
			db.SetMaxOpenConns(1) // the same connection each time
			for _, commit := range []bool{false, true} {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.first(tx); err != nil {
					t.Fatal(err)
				}
				if n := committedCount(t, admin); n != 0 {
					t.Fatalf("another connection sees %d rows before the commit: the statement ran outside the transaction", n)
				}
				want := 0
				if commit {
					err, want = tx.Commit(), 1
				} else {
					err = tx.Rollback()
				}
				if err != nil {
					t.Fatal(err)
				}
				if n := committedCount(t, admin); n < want || (want == 0 && n != 0) {
					t.Fatalf("commit %t: %d rows committed, want %d or more", commit, n, want)
				}
			}
			// The connection is sound for the next user.
			if _, err := db.ExecContext(ctx, "DELETE FROM lazy_t"); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("read only", func(t *testing.T) {
		db := lazyPool(t, dsn, 0)
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 9, "r"); err == nil {
			t.Fatal("an insert in a read-only transaction succeeded: the options were not sent")
		}
	})
}

// TestLazyCommitWith: the statement of a CommitWith context commits the
// transaction (another connection sees its rows before the Tx's Commit,
// which then succeeds and sends nothing), reports its own row count, and
// a later statement of that transaction is refused rather than run outside
// it. When the statement fails, nothing of the transaction is committed.
// Outside a transaction CommitWith changes nothing.
func TestLazyCommitWith(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec("CREATE TABLE lazy_t (id BIGINT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db := lazyPool(t, dsn, 0)
	db.SetMaxOpenConns(1)
	for _, first := range []bool{true, false} { // the committing statement is the first, or follows another
		if _, err := admin.Exec("DELETE FROM lazy_t"); err != nil {
			t.Fatal(err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !first {
			if _, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 1, "a"); err != nil {
				t.Fatal(err)
			}
		}
		res, err := tx.ExecContext(target.CommitWith(ctx), "INSERT INTO lazy_t VALUES (?, ?), (?, ?), (?, ?)", 2, "b", 3, "c", 4, "d")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 3 {
			t.Fatalf("first %t: row count %d, %v; want the statement's 3", first, n, err)
		}
		want := 3
		if !first {
			want = 4
		}
		if n := committedCount(t, admin); n != want {
			t.Fatalf("first %t: another connection sees %d rows before Commit, want %d", first, n, want)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 5, "e"); !errors.Is(err, errAfterCommit) {
			t.Fatalf("first %t: a statement after the commit: %v, want errAfterCommit", first, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := committedCount(t, admin); n != want {
			t.Fatalf("first %t: %d rows after Commit, want %d", first, n, want)
		}
	}

	// A failing statement commits nothing, not even what came before it.
	if _, err := admin.Exec("DELETE FROM lazy_t"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 1, "a"); err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(target.CommitWith(ctx), "INSERT INTO lazy_t VALUES (?, ?)", 1, "dup")
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1062 {
		t.Fatalf("a duplicate key: %v, want error 1062", err)
	}
	if n := committedCount(t, admin); n != 0 {
		t.Fatalf("%d rows committed by a failed CommitWith statement", n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := committedCount(t, admin); n != 0 {
		t.Fatalf("%d rows after the rollback", n)
	}

	// Outside a transaction: an autocommit statement, as always.
	if _, err := db.ExecContext(target.CommitWith(ctx), "INSERT INTO lazy_t VALUES (?, ?)", 7, "g"); err != nil {
		t.Fatal(err)
	}
	if n := committedCount(t, admin); n != 1 {
		t.Fatalf("%d rows after an autocommit statement, want 1", n)
	}
}

// TestLazyConnNotReusedMidTransaction: a connection whose transaction was
// not ended never goes back to the pool.
func TestLazyConnNotReusedMidTransaction(t *testing.T) {
	for _, s := range []txState{txPending, txOpen, txCommitted} {
		c := &lazyConn{baseConn: validConn{}, state: s}
		if c.IsValid() {
			t.Errorf("state %d: IsValid", s)
		}
	}
	if c := (&lazyConn{baseConn: validConn{}}); !c.IsValid() {
		t.Error("a connection with no transaction is not valid")
	}
}

// validConn is a driver connection that is always valid (IsValid only).
type validConn struct{ baseConn }

func (validConn) IsValid() bool { return true }

var _ driver.Validator = (*lazyConn)(nil)

// TestLazyConnWhereSeveralStatementsAreRefused: a server (or a proxy)
// that refuses two statements in one call, here the server itself with
// the driver's multiStatements off, gets the driver's own transactions:
// the connection tells so when it opens (multiProbe), and its
// transactions still hold their statements, CommitWith committing
// nothing before the Tx's Commit.
func TestLazyConnWhereSeveralStatementsAreRefused(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec("CREATE TABLE lazy_t (id BIGINT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MultiStatements = false
	base, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(lazyConnector{base: base})
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain := false
	if err := conn.Raw(func(dc any) error { plain = dc.(*lazyConn).plain; return nil }); err != nil {
		t.Fatal(err)
	}
	if !plain {
		t.Fatal("the connection did not find that the server refuses several statements in one call")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(target.CommitWith(ctx), "INSERT INTO lazy_t VALUES (?, ?)", 1, "a"); err != nil {
		t.Fatal(err)
	}
	if n := committedCount(t, admin); n != 0 {
		t.Fatalf("another connection sees %d rows before the commit", n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := committedCount(t, admin); n != 0 {
		t.Fatalf("%d rows after the rollback", n)
	}
	conn.Close()
}
