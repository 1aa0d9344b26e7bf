package apply

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// The deadlines of a batch. A MySQL that stops answering without closing
// its connections (a frozen process or host, a network partition that
// drops packets) would otherwise hold a batch until the driver's read
// timeout, and the batch's Spanner read-write transaction with it: Spanner
// aborts a read-write transaction that sends it nothing for about 10 s,
// and the client then runs the closure, MySQL work included, again.
//
// They are constants, not parameters: MySQLTimeout follows from Spanner's
// idle limit, not from the workload, BatchTimeout only has to leave room
// for a few aborted attempts, and a batch that misses either loses
// nothing (it waits in retry/). Each expiry holds the worker's other
// shards' batches of the bundle for at most that long.
const (
	// MySQLTimeout bounds the MySQL part of one attempt of a batch's
	// transaction: getting a connection, starting the MySQL transaction,
	// every statement and the re-check of the shadow rows (steps 3 and 4
	// of the protocol). The Spanner transaction sends nothing to Spanner
	// meanwhile, so this stays below Spanner's idle limit of about 10 s:
	// a shard that does not answer fails the attempt before Spanner
	// aborts it, and nothing re-runs it. The MySQL commit runs without a
	// context in database/sql; the driver's read timeout of the writer's
	// connections (mysql.WriterIOTimeout) bounds it instead.
	MySQLTimeout = 8 * time.Second
	// BatchTimeout bounds a batch's Spanner transaction as a whole, every
	// attempt of its closure included: the Spanner client re-runs the
	// closure after an abort for as long as its context lasts.
	BatchTimeout = 30 * time.Second
)

// TimeoutError is a batch that missed one of the deadlines above: the shard
// (or Spanner) did not answer in time. It unwraps to
// context.DeadlineExceeded, a connection failure to target.IsConnection, so the writer
// sends the whole batch to retry/ instead of splitting it or failing the
// bundle; nothing of it was recorded as applied.
type TimeoutError struct {
	What  string
	After time.Duration
	Err   error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not finish within %v: %v", e.What, e.After, e.Err)
}

func (e *TimeoutError) Unwrap() []error { return []error{context.DeadlineExceeded, e.Err} }

// timedOut returns err as a TimeoutError when deadlined, derived from
// parent with a timeout of after, is what ended it: the parent (the
// bundle's context) still runs. The error the deadline causes depends on
// where it struck (the driver returns the context's error, the Spanner
// client its own DEADLINE_EXCEEDED status), so the context says it.
func timedOut(parent, deadlined context.Context, what string, after time.Duration, err error) error {
	if err == nil || parent.Err() != nil || deadlined.Err() == nil {
		return err
	}
	return &TimeoutError{What: what, After: after, Err: err}
}

// attempt is the target's transaction of one attempt of a batch (steps 3
// to 5 of the protocol), on a connection of its own (the session may have
// to discard it), under MySQLTimeout from when it was opened: getting the
// connection, starting the transaction, every statement, the re-check of
// the shadow rows and the commit's start.
//
// The driver gives up a statement whose context ends by closing its
// connection, so database/sql discards that connection instead of putting
// it back in the pool. The server, though, only notices the closed
// connection when the statement ends: one waiting for a row lock would
// keep its transaction, and the locks of the batch's earlier statements,
// until its own lock wait timeout, blocking every retry of those rows, and
// would then go on with the transaction. So a missed deadline, the end of
// the parent context or a connection lost in the middle of a statement
// abandons the session (target.Session.Abandon, see fail: the server
// thread is killed too; on a server that does not answer, that fails
// within its own timeout, and the server rolls the transaction back when
// it sees the closed connection).
type attempt struct {
	parent context.Context // the closure's: its end is not a missed deadline
	ctx    context.Context // parent, with MySQLTimeout
	cancel context.CancelFunc
	sess   target.Session
	what   string // "writing the batch to <target>", for TimeoutError
	closed bool
}

// openAttempt connects and begins the target's transaction.
func (a *Applier) openAttempt(ctx context.Context, db *sql.DB) (*attempt, error) {
	mctx, cancel := context.WithTimeout(ctx, MySQLTimeout)
	sess, err := a.Target.Connect(mctx, db)
	if err != nil {
		cancel()
		return nil, timedOut(ctx, mctx, "connecting to "+a.Target.Name(), MySQLTimeout, err)
	}
	t := &attempt{parent: ctx, ctx: mctx, cancel: cancel, sess: sess, what: "writing the batch to " + a.Target.Name()}
	if err := sess.Begin(mctx); err != nil {
		return nil, t.fail(err)
	}
	return t, nil
}

// fail ends the attempt after err and returns err, as a TimeoutError when
// the deadline caused it. An attempt whose context ended (by the deadline
// or with its parent, the bundle's) or whose connection failed without an
// answer from the server (target.Unreachable: a read timeout, a reset) is
// abandoned, otherwise rolled back (a no-op after a commit): a statement
// the client gave up while it waited for a lock goes on in the server
// once the lock comes, and on MySQL the last write carries the COMMIT
// (target.CommitWith), which would then commit a batch reported failed.
func (t *attempt) fail(err error) error {
	err = timedOut(t.parent, t.ctx, t.what, MySQLTimeout, err)
	if t.ctx.Err() != nil || target.Unreachable(err) {
		// The context's end also ends the transaction on the client
		// (database/sql rolls it back), which discarding its connection
		// waits for.
		t.cancel()
		t.sess.Abandon(t.parent) // kills the server thread and discards the connection
	} else {
		_ = t.sess.Rollback()
	}
	t.close()
	return err
}

// rollback ends the attempt with nothing of it committed.
func (t *attempt) rollback() {
	if t.closed {
		return
	}
	_ = t.sess.Rollback()
	t.close()
}

func (t *attempt) close() {
	if !t.closed {
		_ = t.sess.Close()
		t.cancel()
		t.closed = true
	}
}
