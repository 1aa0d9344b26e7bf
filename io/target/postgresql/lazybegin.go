package postgresql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// The writer's connections send BEGIN with the transaction's first
// statement, in one round trip: the statements go out as one pipeline of
// the extended protocol (pgx's batch), which the server runs in order,
// skipping everything after the first error up to the pipeline's end.
//
// COMMIT is never merged into a statement's pipeline (target.CommitWith is
// ignored here): a statement that waits for a lock while its context ends
// is abandoned by pgx, which closes the connection, and the server, on
// finding it closed, rolls the transaction back; a COMMIT already in its
// input would instead commit it once the lock comes, after the batch was
// reported failed.
//
// database/sql's Tx is kept: the pool, the cancellation of a transaction
// whose context ends and the release of the connection work as always.
// Only the driver's connection is wrapped (lazyConn): its BeginTx answers
// at once, and the first statement after it carries the BEGIN. A query
// or a statement database/sql prepares is sent after a BEGIN of its own.
// A statement the session defers (deferStatement: the batch's key locks,
// keylock.go) goes out in the same pipeline, before the next statement:
// the server still runs it first, so nothing after it runs without it.
// What the server ran is read from the connection's transaction status,
// which the server reports at the end of every pipeline (ReadyForQuery):
// in a transaction (or a failed one) means the BEGIN ran. A first
// statement the server refused before its BEGIN ran (pgx prepares a
// statement it has not cached before sending the pipeline) fails the
// transaction as a refused statement fails pgx's own: nothing after it
// runs, and its Commit answers pgx.ErrTxCommitRollback. So no statement of
// a transaction ever runs outside it.

// txState is where a lazyConn's transaction is.
type txState int

const (
	txNone    txState = iota // no transaction
	txPending                // begun, BEGIN not sent yet
	txOpen                   // BEGIN ran
	txRefused                // the server refused the first statement before BEGIN ran: only a rollback ends it
)

// errDeferredLost refuses every statement of a transaction after a
// pipeline that carried a deferred statement failed: whether the server
// ran the deferred one is not known, and a statement must never run
// without it (the key locks). Only a rollback ends such a transaction.
var errDeferredLost = errors.New("PostgreSQL: an earlier statement of the transaction failed with the one sent before it")

// errRefused refuses every statement of a transaction whose first
// statement the server refused (txRefused), as PostgreSQL does after an
// error in a transaction.
var errRefused = errors.New("PostgreSQL: the transaction's first statement was refused; statements are ignored until its end")

// baseConn is what pgx's database/sql connection (stdlib.Conn) implements
// and the writer uses.
type baseConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.NamedValueChecker
	Conn() *pgx.Conn
}

var _ baseConn = (*stdlib.Conn)(nil)

// lazyConnector makes lazyConns of pgx's connections.
type lazyConnector struct{ base driver.Connector }

func (c lazyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	bc, ok := dc.(baseConn)
	if !ok {
		_ = dc.Close()
		return nil, errors.New("PostgreSQL: the driver's connection lacks an interface the writer needs")
	}
	return &lazyConn{baseConn: bc, side: c.base}, nil
}

func (c lazyConnector) Driver() driver.Driver { return c.base.Driver() }

// pgxConn is the pgx connection under a driver connection of a pool this
// package opened (lazyConn) or of pgx's own (stdlib.Conn); nil otherwise.
func pgxConn(dc any) *pgx.Conn {
	if c, ok := dc.(baseConn); ok {
		return c.Conn()
	}
	return nil
}

// lazyConn is a driver connection whose transactions start with their
// first statement. database/sql uses a connection from one goroutine at a
// time, so its state needs no lock.
type lazyConn struct {
	baseConn
	// side opens connections to the same server outside the pool, to
	// terminate the backend of an abandoned session (session.Abandon).
	side  driver.Connector
	state txState
	begin string          // the pending transaction's BEGIN
	ctx   context.Context // BeginTx's, which bounds COMMIT and ROLLBACK (as pgx's own Tx)
	// deferred: statements sent before the next one, in its pipeline.
	deferred []deferredStatement
	// lost: a pipeline with deferred statements failed (errDeferredLost).
	lost bool
	// prepared: the transaction prepared a statement, whose executions
	// do not pass through the connection: nothing is deferred.
	prepared bool
	// broken: a ROLLBACK or COMMIT failed and left the connection in a
	// state not known; it is never used again.
	broken bool
}

// deferredStatement is a statement sent with the next one; what says
// what it does, for its errors.
type deferredStatement struct {
	what, sql string
	args      []any
}

// deferStatement has sql sent, with its arguments, just before the
// transaction's next statement and in its round trip; false, sending
// nothing, when the connection has no transaction to hold it, or the
// transaction prepared a statement (its executions do not pass through
// the connection, and would run before the deferred one).
func (c *lazyConn) deferStatement(what, sql string, args ...any) bool {
	if c.state != txPending && c.state != txOpen || c.lost || c.prepared {
		return false
	}
	c.deferred = append(c.deferred, deferredStatement{what: what, sql: sql, args: args})
	return true
}

// BeginTx starts a transaction at the default or READ COMMITTED level on
// the next statement; others (another level, read only) at once, by pgx.
func (c *lazyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.broken || c.Conn().IsClosed() {
		return nil, driver.ErrBadConn
	}
	if c.state != txNone {
		return nil, errors.New("PostgreSQL: a transaction inside a transaction")
	}
	var begin string
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelDefault:
		begin = "begin"
	case sql.LevelReadCommitted:
		begin = "begin isolation level read committed"
	}
	if begin == "" || opts.ReadOnly {
		return c.baseConn.BeginTx(ctx, opts)
	}
	c.state, c.begin, c.ctx = txPending, begin, ctx
	return lazyTx{c}, nil
}

// Begin is BeginTx with default options (driver.Conn).
func (c *lazyConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// startNow sends a pending BEGIN and the deferred statements, in one
// round trip, before a statement that cannot go in their pipeline.
func (c *lazyConn) startNow(ctx context.Context) error {
	switch {
	case c.state == txRefused:
		return errRefused
	case c.lost:
		return errDeferredLost
	}
	if c.state != txPending && len(c.deferred) == 0 {
		return nil
	}
	_, err := c.pipeline(ctx, "", nil, false)
	return err
}

// pipeline sends, in one round trip, a pending BEGIN, the deferred
// statements, query with args (unless query is ""), and COMMIT if commit;
// it returns query's command tag. The server runs them in order and
// skips the rest of the pipeline after the first that fails.
func (c *lazyConn) pipeline(ctx context.Context, query string, args []any, commit bool) (pgconn.CommandTag, error) {
	conn := c.Conn()
	first, deferred := c.state == txPending, c.deferred
	c.deferred = nil
	b := &pgx.Batch{}
	if first {
		b.Queue(c.begin)
	}
	for _, d := range deferred {
		b.Queue(d.sql, d.args...)
	}
	if query != "" {
		b.Queue(query, args...)
	}
	if commit {
		b.Queue("commit")
	}
	br := conn.SendBatch(ctx, b)
	var tag, end pgconn.CommandTag
	var err error
	if first {
		_, err = br.Exec()
	}
	for _, d := range deferred {
		if err == nil {
			if _, err = br.Exec(); err != nil {
				err = fmt.Errorf("PostgreSQL: %s (sent with the next statement): %w", d.what, err)
			}
		}
	}
	if err == nil && query != "" {
		tag, err = br.Exec()
	}
	if err == nil && commit {
		end, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	// What ran is what the server says: its transaction status at the
	// pipeline's end ('I' idle, 'T' in a transaction, 'E' in a failed
	// one), read only if the connection is still up.
	status := byte(0)
	if !conn.IsClosed() {
		status = conn.PgConn().TxStatus()
	}
	var refused *pgconn.PgError
	switch {
	case first && (status == 'T' || status == 'E'):
		c.state = txOpen
	case first && errors.As(err, &refused):
		c.state = txRefused // the server refused a statement before BEGIN ran
	}
	if err != nil {
		if len(deferred) > 0 {
			c.lost = true
		}
		return tag, err
	}
	if commit && (end.String() != "COMMIT" || status != 'I') {
		return tag, fmt.Errorf("PostgreSQL: the COMMIT answered %q, the transaction status %q", end.String(), string(status))
	}
	return tag, nil
}

func (c *lazyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	switch {
	case c.state == txRefused:
		return nil, errRefused
	case c.lost:
		return nil, errDeferredLost
	}
	if c.state != txPending && len(c.deferred) == 0 {
		return c.baseConn.ExecContext(ctx, query, args)
	}
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	tag, err := c.pipeline(ctx, query, vals, false)
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

func (c *lazyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.startNow(ctx); err != nil {
		return nil, err
	}
	return c.baseConn.QueryContext(ctx, query, args)
}

func (c *lazyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.startNow(ctx); err != nil {
		return nil, err
	}
	if c.state != txNone {
		c.prepared = true
	}
	return c.baseConn.PrepareContext(ctx, query)
}

func (c *lazyConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// ResetSession keeps a connection out of the pool if its transaction was
// not ended, or its end failed.
func (c *lazyConn) ResetSession(ctx context.Context) error {
	if !c.IsValid() {
		return driver.ErrBadConn
	}
	return c.baseConn.ResetSession(ctx)
}

// IsValid keeps a connection out of the pool if its transaction was not
// ended, or its end failed, which database/sql never does otherwise.
func (c *lazyConn) IsValid() bool {
	return c.state == txNone && len(c.deferred) == 0 && !c.lost && !c.broken && !c.Conn().IsClosed()
}

// lazyTx is a lazyConn's transaction.
type lazyTx struct{ c *lazyConn }

// Commit commits, as pgx's own Tx does: a COMMIT the server answers
// ROLLBACK (the transaction had failed) is an error.
func (t lazyTx) Commit() error {
	switch {
	case t.c.state == txRefused:
		_ = t.Rollback()
		return pgx.ErrTxCommitRollback
	case t.c.lost:
		_ = t.Rollback()
		return errDeferredLost
	}
	if t.c.state == txOpen && len(t.c.deferred) > 0 {
		// The deferred statements run before the COMMIT, as they would
		// have before a statement.
		_, err := t.c.pipeline(t.c.ctx, "", nil, true)
		t.c.state, t.c.prepared = txNone, false
		if err != nil {
			if conn := t.c.Conn(); conn.IsClosed() || conn.PgConn().TxStatus() != 'I' {
				t.c.retire()
			}
		}
		return err
	}
	s := t.c.state
	t.c.state, t.c.deferred, t.c.prepared = txNone, nil, false
	if s != txOpen {
		return nil
	}
	conn := t.c.Conn()
	tag, err := conn.Exec(t.c.ctx, "commit")
	if err != nil {
		if conn.IsClosed() || conn.PgConn().TxStatus() != 'I' {
			t.c.retire()
		}
		return err
	}
	if tag.String() != "COMMIT" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback rolls back; a ROLLBACK that failed leaves the connection
// unusable, as pgx's own Tx does.
func (t lazyTx) Rollback() error {
	s := t.c.state
	t.c.state, t.c.deferred, t.c.lost, t.c.prepared = txNone, nil, false, false
	if s != txOpen {
		return nil
	}
	if _, err := t.c.Conn().Exec(t.c.ctx, "rollback"); err != nil {
		t.c.retire()
		return err
	}
	return nil
}

// retire closes a connection whose COMMIT or ROLLBACK failed, as pgx's
// own Tx does: the server may still be in the transaction, and nothing
// may ever commit it (BeginTx answers driver.ErrBadConn from then on).
func (c *lazyConn) retire() {
	c.broken = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Conn().Close(ctx)
}
