package mysql

import (
	"context"
	"database/sql"
	"net"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
)

// lazyShard is the shard of the test database of dsn, with
// connectionProperties props.
func lazyShard(t *testing.T, dsn, props string) Shard {
	t.Helper()
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	return Shard{LogicalShardID: "lazy", Host: host, Port: target.Port(port), User: cfg.User, Password: cfg.Passwd, DBName: cfg.DBName, ConnectionProperties: props}
}

// TestLazyCommitWithNearThePacketLimit: a write that goes through without
// target.CommitWith must go through with it. The driver checks the
// interpolated statement against maxAllowedPacket only up to its last
// argument (and falls back to a prepared statement past it); the
// ";\nCOMMIT" the wrapper appends is not counted, so a statement within 8
// bytes of the limit fails with ErrPktTooLarge instead, every time it is
// built again (the same record, the same statement). The shard's
// maxAllowedPacket is lowered (a connectionProperty) so that the window is
// reachable with a small row; at the default 64 MiB it is the same window.
func TestLazyCommitWithNearThePacketLimit(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec("CREATE TABLE big_t (id BIGINT PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	db, err := Open(lazyShard(t, dsn, "maxAllowedPacket=2048"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	write := func(commitWith bool, n int) error {
		s, err := Target{}.Connect(ctx, db)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.Begin(ctx); err != nil {
			return err
		}
		// The batch's first statement (LockShadow's, in the protocol).
		if _, err := s.Write(ctx, []target.Change{targettest.Up("big_t", 1, []string{"id", "v"}, []string{"id"}, int64(1), "x")}); err != nil {
			_ = s.Rollback()
			return err
		}
		wctx := ctx
		if commitWith {
			wctx = target.CommitWith(ctx)
		}
		if _, err := s.Write(wctx, []target.Change{targettest.Up("big_t", 2, []string{"id", "v"}, []string{"id"}, int64(2), strings.Repeat("y", n))}); err != nil {
			_ = s.Rollback()
			return err
		}
		return s.Commit()
	}
	failed, plainFailed := 0, 0
	for n := 1900; n < 2048; n++ {
		if err := write(false, n); err != nil {
			// The driver's own blind spot (the text after the last
			// argument), there before CommitWith: not this test's concern.
			plainFailed++
			continue
		}
		if err := write(true, n); err != nil {
			failed++
			if failed == 1 {
				t.Errorf("%d bytes: without CommitWith the write goes through, with it: %v", n, err)
			}
		}
	}
	t.Logf("%d sizes fail without CommitWith as well", plainFailed)
	if failed > 0 {
		t.Errorf("%d sizes of value fail only with CommitWith", failed)
	}
}

// TestLazyUnsentFirstStatementKeepsTheTransaction: when the first
// statement of a transaction fails before anything reached the server
// (a value the driver cannot write, a statement over maxAllowedPacket,
// both found by the driver before writing), START
// TRANSACTION was not sent either; the wrapper must not count the
// transaction as started. Otherwise the next statement of the same Tx runs
// in autocommit mode: another connection sees it at once and the Tx's
// Rollback does not undo it. And a first statement that fits only without
// the START TRANSACTION and COMMIT merged into it (a CommitWith statement
// near the limit) is sent alone, in the transaction, which the Tx's
// Commit then commits.
func TestLazyUnsentFirstStatementKeepsTheTransaction(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec("CREATE TABLE lazy_t (id BIGINT PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		first func(tx *sql.Tx) error
		fails bool
	}{
		{"a statement without arguments", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (1, '"+strings.Repeat("x", 2000)+"')")
			return err
		}, true},
		{"a value the driver cannot write", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 1, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
			return err
		}, true},
		{"a CommitWith statement near the limit", func(tx *sql.Tx) error {
			// The interpolated text fits (1017 bytes), the COMMIT after it does not.
			_, err := tx.ExecContext(target.CommitWith(ctx), "INSERT INTO lazy_t VALUES (?, ?)", 1, strings.Repeat("x", 1016-len("START TRANSACTION;\nINSERT INTO lazy_t VALUES (1, ''")))
			return err
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := admin.Exec("DELETE FROM lazy_t"); err != nil {
				t.Fatal(err)
			}
			db := lazyPool(t, dsn, 1024)
			db.SetMaxOpenConns(1)
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			err = c.first(tx)
			switch {
			case c.fails && err == nil:
				t.Fatal("the first statement went through; want a client-side failure")
			case !c.fails && err != nil:
				t.Fatalf("the first statement: %v; it fits without what was merged into it", err)
			}
			// A caller that goes on after a refused statement (ApplyUnique does,
			// for a row-level error).
			if _, err := tx.ExecContext(ctx, "INSERT INTO lazy_t VALUES (?, ?)", 2, "b"); err != nil {
				t.Fatal(err)
			}
			if n := committedCount(t, admin); n != 0 {
				t.Errorf("another connection sees %d rows before the commit: a statement ran outside the transaction", n)
			}
			want := 0
			if c.fails {
				err = tx.Rollback()
			} else {
				err, want = tx.Commit(), 2
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := committedCount(t, admin); n != want {
				t.Errorf("%d rows after the transaction ended, want %d", n, want)
			}
		})
	}
}

// TestLazyCommitWithThenDeadline: once a CommitWith statement has
// committed, the session's Commit must not report a failure. database/sql's
// Tx.Commit returns the context's error when the transaction's context
// ended meanwhile, without calling the driver: the batch is then reported
// as timed out (and its connection abandoned, its thread killed) although
// every row and shadow version of it is committed.
func TestLazyCommitWithThenDeadline(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec("CREATE TABLE lazy_t (id BIGINT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	db, err := Open(lazyShard(t, dsn, ""), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	s, err := Target{}.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(target.CommitWith(ctx), []target.Change{targettest.Up("lazy_t", 1, []string{"id", "v"}, []string{"id"}, int64(1), "a")}); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done() // the attempt's deadline passes after the write, before Commit
	time.Sleep(50 * time.Millisecond)
	commitErr := s.Commit()
	n := committedCount(t, admin)
	if commitErr != nil && n > 0 {
		t.Errorf("Commit: %v, but another connection sees %d committed rows", commitErr, n)
	}
}

// TestNoCharsetThatBreaksEscaping (review of the lazy connections): the
// driver escapes values for utf8mb4. A session whose character_set_client
// is a multi-byte set with 0x5C trail bytes (gbk, big5, sjis, cp932,
// gb18030) reads the byte before an escaping backslash and the backslash
// as one character, so the quote after it ends the string: a replicated
// STRING value such as "\u4fff'); DROP TABLE victim; -- " would end the
// statement and, the writer sending several statements per call, run its
// own. No connectionProperties entry may set the character set or
// collation the server reads statements in, however the name is spelt.
// The injection itself is shown against the driver's own pool: it is what
// the refused setting would let through.
func TestNoCharsetThatBreaksEscaping(t *testing.T) {
	admin, dsn := testenv.MySQL(t)
	for _, p := range []string{
		"character_set_client=gbk", "CHARACTER_SET_CLIENT=gbk", "@@session.character_set_client=gbk", "@@character_set_client=gbk",
		"`character_set_client`=gbk", "character_set_connection=big5", "character_set_results=sjis", "collation=gbk_chinese_ci",
		"collation_connection=gbk_chinese_ci", "names=gbk",
	} {
		_, err := DSN(lazyShard(t, dsn, p))
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "utf8mb4") {
			t.Errorf("connectionProperties %q: %v, want it refused, naming the entry", p, err)
		}
	}
	if _, err := DSN(lazyShard(t, dsn, "wait_timeout=600")); err != nil {
		t.Errorf("another session variable is refused: %v", err)
	}

	for _, st := range []string{
		"CREATE TABLE data_t (id BIGINT PRIMARY KEY, v VARCHAR(100))",
		"CREATE TABLE victim (id BIGINT PRIMARY KEY)",
	} {
		if _, err := admin.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	// What the refused entry would do: the driver's own pool with it,
	// several statements per call.
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MultiStatements = true
	cfg.Params = map[string]string{"character_set_client": "gbk"}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// U+4FFF is E4 BF BF in UTF-8: after escaping, BF 5C is one GBK character.
	_, werr := db.Exec("INSERT INTO data_t VALUES (?, ?)", 1, "\u4fff'); DROP TABLE victim; -- ")
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'victim'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Logf("write: %v", werr)
		t.Error("with character_set_client=gbk the value did not end its statement: the reason for refusing the entry is not shown")
	}
}
