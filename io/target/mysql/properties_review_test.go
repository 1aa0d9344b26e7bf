package mysql

import (
	"context"
	"database/sql/driver"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// firstOnlyConn is a server (or a proxy in front of it) that runs and
// answers only the first statement of a call, as one that ignores the
// rest or does not flag SERVER_MORE_RESULTS_EXISTS would look to the
// driver: ExecContext returns no error and one result per statement it
// answered.
type firstOnlyConn struct {
	baseConn
	sent []string
}

func (c *firstOnlyConn) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.sent = append(c.sent, q)
	return answered{1}, nil
}

// answered is a driver result with one entry per statement answered.
type answered []int64

func (r answered) LastInsertId() (int64, error) { return 0, nil }
func (r answered) RowsAffected() (int64, error) { return r[len(r)-1], nil }
func (r answered) AllRowsAffected() []int64     { return r }
func (r answered) AllLastInsertIds() []int64    { return make([]int64, len(r)) }

// TestLazyCommitWithNeedsTheCommitsAnswer (review): a CommitWith
// statement counts as committed only if the server answered the COMMIT
// sent with it, and every statement sent with it. When the COMMIT went
// unanswered (a proxy that runs only the first statement of a call), the
// session's Commit then only rolls the Tx back on the client, sending
// nothing: the batch is reported as applied, the server transaction (rows
// and shadow versions) is never committed, and it is rolled back when the
// connection closes, or committed by the next START TRANSACTION of a later
// batch on that connection.
func TestLazyCommitWithNeedsTheCommitsAnswer(t *testing.T) {
	for _, state := range []txState{txOpen, txPending} {
		fc := &firstOnlyConn{}
		c := &lazyConn{baseConn: fc, state: state}
		ctx := target.CommitWith(context.Background())
		// With txPending the server answers START TRANSACTION and the
		// statement, not the COMMIT (two of three).
		if state == txPending {
			fc2 := &twoOfThree{firstOnlyConn: fc}
			c.baseConn = fc2
		}
		_, err := c.ExecContext(ctx, "INSERT INTO t VALUES (1)", nil)
		if err == nil && target.CommittedWith(ctx) {
			t.Errorf("state %d: the COMMIT went unanswered, yet the statement reports success and CommittedWith is true (sent %q)", state, fc.sent)
		}
		if c.state == txCommitted && err != nil {
			t.Errorf("state %d: the statement failed, yet the connection counts the transaction as committed: its Rollback sends nothing", state)
		}
	}
}

// twoOfThree answers two statements of a call.
type twoOfThree struct{ *firstOnlyConn }

func (c *twoOfThree) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.sent = append(c.sent, q)
	return answered{0, 1}, nil
}

// TestSessionVariableValuesAndNames (review): the driver sends each
// session variable as SET name=value, the value as written, so one value
// could set another variable ("wait_timeout=600, character_set_client=gbk"
// sets the character set refused by name) or start a statement; and the
// server takes names in any case, so TIME_ZONE would be sent beside the
// template's time_zone, in no set order (some connections in UTC, others
// not, and TIMESTAMP values stored shifted on those), and SQL_MODE beside
// the template's sql_mode. Values are one number, word or quoted string;
// fixed names are refused in any case; a sql_mode in any case replaces
// the template's.
func TestSessionVariableValuesAndNames(t *testing.T) {
	_, dsn := testenv.MySQL(t)
	for _, p := range []string{
		"wait_timeout=600, character_set_client=gbk", "wait_timeout=600 ,names=gbk", "innodb_lock_wait_timeout=5;DROP",
		"sql_mode='ANSI', time_zone='+05:00'", "net_read_timeout=(SELECT 1)", "sql_mode='A'B'",
		"TIME_ZONE='+05:00'", "Time_Zone='+05:00'", "MULTISTATEMENTS=false",
	} {
		if _, err := DSN(lazyShard(t, dsn, p)); err == nil {
			t.Errorf("connectionProperties %q accepted", p)
		}
		if db, err := Open(lazyShard(t, dsn, p), 1); err == nil {
			db.Close()
			t.Errorf("connectionProperties %q: Open accepted it", p)
		}
	}
	for _, p := range []string{"wait_timeout=600", "sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE'", "net_read_timeout=30", "innodb_lock_wait_timeout=5", `sql_mode="ANSI_QUOTES"`, "SQL_MODE=TRADITIONAL"} {
		d, err := DSN(lazyShard(t, dsn, p))
		if err != nil {
			t.Errorf("connectionProperties %q refused: %v", p, err)
			continue
		}
		if strings.Contains(strings.ToLower(p), "sql_mode") && strings.Contains(d, "STRICT_ALL_TABLES%27%29") {
			t.Errorf("connectionProperties %q: the template's sql_mode is still set beside it: %s", p, d)
		}
	}
	// Every connection of the pool runs in UTC.
	db, err := Open(lazyShard(t, dsn, "wait_timeout=600"), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tz string
	if err := db.QueryRow("SELECT @@session.time_zone").Scan(&tz); err != nil || tz != "+00:00" {
		t.Errorf("session time zone %q (%v), want +00:00", tz, err)
	}
}

// TestCharsetPropertiesOfUTF8MB4Accepted (review): settings that keep
// utf8mb4 do not change how the server reads the driver's escaping, and
// were accepted before; collation=utf8mb4_... is the driver's own,
// common DSN parameter (the driver sends SET NAMES utf8mb4 COLLATE ...,
// which the server refuses for a collation of another character set).
func TestCharsetPropertiesOfUTF8MB4Accepted(t *testing.T) {
	_, dsn := testenv.MySQL(t)
	for _, p := range []string{"collation=utf8mb4_unicode_ci", "collation_connection=utf8mb4_general_ci", "character_set_results=utf8mb4"} {
		if _, err := DSN(lazyShard(t, dsn, p)); err != nil {
			t.Errorf("connectionProperties %q refused: %v", p, err)
		}
	}
}
