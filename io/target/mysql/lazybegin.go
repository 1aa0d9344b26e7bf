package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// The writer's connections send START TRANSACTION with the transaction's
// first statement, and may send COMMIT with its last (target.CommitWith):
// a batch of new keys of the source-side protocol is then two round trips
// instead of four.
//
// database/sql's Tx is kept: the pool, the cancellation of a transaction
// whose context ends and the release of the connection work as always.
// Only the driver's connection is wrapped (lazyConn): its BeginTx answers
// at once, and the first statement after it carries START TRANSACTION in
// the same packet (the driver's multiStatements: the server runs the two
// in order and stops at the first error). Every way a statement can reach
// the server goes through the wrapper first: a statement the driver would
// prepare (database/sql falls back to PrepareContext when the driver
// cannot bind the arguments on the client) and a query are sent after a
// START TRANSACTION of their own, and so is a statement that would fit in
// a packet (maxAllowedPacket) only without what is merged into it. START
// TRANSACTION counts as sent only once the server answered. So no
// statement of a transaction ever runs outside it.
//
// Several statements per call are only ever the writer's own (START
// TRANSACTION, one statement, COMMIT); values stay the driver's to escape,
// for the utf8mb4 connection the template fixes (properties.go refuses
// another character set). A connection whose server or proxy refuses
// several statements in one call (multiProbe) behaves as the driver's.

// txState is where a lazyConn's transaction is.
type txState int

const (
	txNone      txState = iota // no transaction
	txPending                  // begun, START TRANSACTION not sent yet
	txOpen                     // START TRANSACTION sent
	txCommitted                // committed by a statement (CommitWith); the Tx's Commit has nothing left to do
)

// errAfterCommit refuses a statement in a transaction that a CommitWith
// statement committed: it would run outside any transaction.
var errAfterCommit = errors.New("MySQL: a statement after the transaction was committed")

// baseConn is what the driver's connection implements and database/sql
// uses.
type baseConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// lazyConnector makes lazyConns of the driver's connections.
type lazyConnector struct{ base driver.Connector }

func (c lazyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	bc, ok := dc.(baseConn)
	if !ok {
		_ = dc.Close()
		return nil, errors.New("MySQL: the driver's connection lacks an interface the writer needs")
	}
	// A proxy in front of the server (Vitess, some poolers) may refuse
	// several statements in one call: the connection then sends each
	// statement alone, as the driver does (plain).
	res, err := bc.ExecContext(ctx, multiProbe, nil)
	var refused *mysqldriver.MySQLError
	switch {
	case errors.As(err, &refused):
		return &lazyConn{baseConn: bc, side: c.base, plain: true}, nil
	case err != nil:
		_ = bc.Close()
		return nil, err
	}
	if all, ok := res.(mysqldriver.Result); !ok || len(all.AllRowsAffected()) != 2 {
		return &lazyConn{baseConn: bc, side: c.base, plain: true}, nil // the second went unanswered
	}
	return &lazyConn{baseConn: bc, side: c.base}, nil
}

// multiProbe is sent once per connection: two statements in one call,
// each answered by an OK of its own.
const multiProbe = "DO 1;\nDO 2"

func (c lazyConnector) Driver() driver.Driver { return c.base.Driver() }

// openLazy opens a pool of lazyConns with the driver configuration cfg,
// which it changes to allow several statements in one round trip.
func openLazy(cfg *mysqldriver.Config) (*sql.DB, error) {
	cfg.MultiStatements = true
	base, err := mysqldriver.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(lazyConnector{base: base}), nil
}

// lazyConn is a driver connection whose transactions start with their
// first statement. database/sql uses a connection from one goroutine at a
// time, so its state needs no lock.
type lazyConn struct {
	baseConn
	// side opens connections to the same server outside the pool, for
	// the KILL of an abandoned session (session.Abandon).
	side  driver.Connector
	state txState
	// plain: the server (or a proxy) refused several statements in one
	// call; every transaction is the driver's own, CommitWith is ignored.
	plain bool
}

// BeginTx starts a transaction of default options on the next statement;
// others (an isolation level, read only) at once, by the driver.
func (c *lazyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.state != txNone {
		return nil, errors.New("MySQL: a transaction inside a transaction")
	}
	if c.plain || opts.Isolation != driver.IsolationLevel(sql.LevelDefault) || opts.ReadOnly {
		return c.baseConn.BeginTx(ctx, opts)
	}
	c.state = txPending
	return lazyTx{c}, nil
}

// Begin is BeginTx with default options (driver.Conn).
func (c *lazyConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// startNow sends a pending START TRANSACTION on its own.
func (c *lazyConn) startNow(ctx context.Context) error {
	if c.state != txPending {
		return nil
	}
	if _, err := c.baseConn.ExecContext(ctx, "START TRANSACTION", nil); err != nil {
		return err
	}
	c.state = txOpen
	return nil
}

func (c *lazyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.state == txCommitted {
		return nil, errAfterCommit
	}
	first, commit := c.state == txPending, target.CommitsWith(ctx) && c.state != txNone
	if !first && !commit {
		return c.baseConn.ExecContext(ctx, query, args)
	}
	q := query
	if first {
		q = "START TRANSACTION;\n" + q
	}
	if commit {
		q += ";\nCOMMIT"
	}
	res, err := c.baseConn.ExecContext(ctx, q, args)
	switch {
	case errors.Is(err, driver.ErrSkip):
		// Nothing was sent: database/sql prepares the statement
		// (PrepareContext sends START TRANSACTION first) and commits
		// with the Tx.
		return nil, err
	case errors.Is(err, mysqldriver.ErrPktTooLarge):
		// Nothing was sent (the driver measures the packet before
		// writing it), and the statement may fit alone: START
		// TRANSACTION on its own, then the statement as it was, the
		// Tx's Commit to commit it. A statement that fails so merged
		// never fails where it would have gone through alone.
		if err := c.startNow(ctx); err != nil {
			return nil, err
		}
		return c.baseConn.ExecContext(ctx, query, args)
	}
	var answered *mysqldriver.MySQLError
	if first && (err == nil || errors.As(err, &answered)) {
		// The server ran START TRANSACTION, and then the statement.
		// Any other error either came before anything was sent (a
		// context already ended, a value the driver cannot write), and
		// the transaction is still to start, or broke the connection,
		// which is then never used again.
		c.state = txOpen
	}
	if err != nil {
		return nil, err
	}
	// Every statement sent must have been answered, the COMMIT above all:
	// a server or proxy that ran fewer (only the first of a call) would
	// otherwise have a transaction reported committed that is not.
	i, sent := 0, 1
	if first {
		i, sent = 1, sent+1
	}
	if commit {
		sent++
	}
	all, ok := res.(mysqldriver.Result)
	if !ok {
		return nil, errors.New("MySQL: the driver's result lacks the rows of each statement")
	}
	rows := all.AllRowsAffected()
	if len(rows) != sent {
		return nil, fmt.Errorf("MySQL: the server answered %d of the %d statements sent together", len(rows), sent)
	}
	if commit {
		c.state = txCommitted
		target.Committed(ctx)
	}
	return driver.RowsAffected(rows[i]), nil
}

func (c *lazyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.state == txCommitted {
		return nil, errAfterCommit
	}
	if err := c.startNow(ctx); err != nil {
		return nil, err
	}
	return c.baseConn.QueryContext(ctx, query, args)
}

func (c *lazyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.state == txCommitted {
		return nil, errAfterCommit
	}
	if err := c.startNow(ctx); err != nil {
		return nil, err
	}
	return c.baseConn.PrepareContext(ctx, query)
}

func (c *lazyConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// IsValid keeps a connection out of the pool if its transaction was not
// ended, which database/sql never does.
func (c *lazyConn) IsValid() bool { return c.state == txNone && c.baseConn.IsValid() }

// lazyTx is a lazyConn's transaction.
type lazyTx struct{ c *lazyConn }

func (t lazyTx) Commit() error { return t.end("COMMIT") }

func (t lazyTx) Rollback() error { return t.end("ROLLBACK") }

// end sends stmt unless nothing is left to end: a transaction that sent no
// statement, or one a statement committed.
func (t lazyTx) end(stmt string) error {
	s := t.c.state
	t.c.state = txNone
	if s != txOpen {
		return nil
	}
	_, err := t.c.baseConn.ExecContext(context.Background(), stmt, nil)
	return err
}
