package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"sync"
	"time"
	"weak"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
)

// name is the target's name in messages.
const name = "MySQL"

// session is one batch attempt on one connection of a shard's pool: the
// MySQL transaction of steps 3 to 5 of the apply protocol
// (io/shadow/apply). Every error it returns is classified (Classify).
type session struct {
	db   *sql.DB
	conn *sql.Conn
	tx   *sql.Tx
	id   int64 // the server thread, for Abandon
	// host is the thread's client address as the server lists it, which
	// tells it from a thread of the same id after a restart (Abandon).
	host string
	// side opens a connection outside the pool, for Abandon's KILL; nil
	// for a pool this package did not open.
	side driver.Connector
	// committed: a write committed the transaction (target.CommitWith);
	// Commit only ends it on the client.
	committed bool
}

// Connect implements target.Target: a connection of db's pool.
func (Target) Connect(ctx context.Context, db *sql.DB) (target.Session, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("MySQL: connecting: %w", Classify(err))
	}
	return &session{db: db, conn: conn}, nil
}

// Begin notes the connection's server thread (for Abandon) and starts the
// transaction: on the writer's connections (lazybegin.go) that sends
// nothing yet, START TRANSACTION goes with the first statement.
func (s *session) Begin(ctx context.Context) error {
	var key weak.Pointer[byte]
	cacheable := false
	// The driver connection only serves as the key, never used outside.
	if err := s.conn.Raw(func(dc any) error {
		key, cacheable = connKey(dc)
		if lc, ok := dc.(*lazyConn); ok {
			s.side = lc.side
		}
		return nil
	}); err != nil {
		return fmt.Errorf("MySQL: reading the connection id: %w", Classify(err))
	}
	th, err := threadID(ctx, s.conn, key, cacheable)
	if err != nil {
		return fmt.Errorf("MySQL: reading the connection id: %w", Classify(err))
	}
	s.id, s.host = th.id, th.host
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("MySQL: starting a transaction: %w", Classify(err))
	}
	s.tx = tx
	return nil
}

// Write writes changes in the transaction (target.Writer). Rows of tables
// with secondary unique indexes that MySQL refused come back by index into
// changes, with their errors (see unique.go); an error fails the whole
// attempt.
func (s *session) Write(ctx context.Context, changes []target.Change) (refused map[int]error, err error) {
	w := s.writer()
	refused, err = w.Write(ctx, changes, func(ctx context.Context, rows []target.UniqueRow) (map[int]error, error) {
		return applyUnique(ctx, s.conn, w, rows)
	})
	if err == nil && target.CommittedWith(ctx) {
		s.committed = true
	}
	return refused, err
}

// builders are MySQL's statement builders (dml), as target.Writer
// uses them.
var builders = target.DML{
	Upsert:    dml.Upsert,
	Insert:    dml.Insert,
	Update:    dml.Update,
	Delete:    dml.Delete,
	MaxParams: dml.MaxPlaceholders,
}

// writer writes in the session's transaction.
func (s *session) writer() target.Writer {
	return target.Writer{Name: name, Classify: Classify, DML: builders, Tx: s.tx}
}

// Commit commits the transaction, unless the last write already did
// (target.CommitWith: then it only ends it). database/sql runs it without a context;
// the driver's read timeout of the writer's connections (WriterIOTimeout)
// bounds it.
//
// After a write that committed, database/sql's Commit would report the
// transaction's context ending meanwhile as a failed commit, without
// asking the driver: the Tx is ended by a rollback, which the connection
// answers without sending anything (lazyTx), and the commit stands.
func (s *session) Commit() error {
	if s.committed {
		_ = s.tx.Rollback() // nothing left to roll back; ErrTxDone if database/sql ended it
		return nil
	}
	return s.writer().Commit()
}

// Rollback rolls the transaction back, if one was started.
func (s *session) Rollback() error { return s.writer().Rollback() }

// Close gives the connection back to the pool.
func (s *session) Close() error { return s.conn.Close() }

// Abandon gives up on a session after a deadline, a cancellation or a
// connection lost in the middle of a statement. The server only notices
// the closed connection when the statement ends: one waiting for a row
// lock would keep its transaction, and the locks of the batch's earlier
// statements, until its own lock wait timeout, blocking every retry of
// those rows; and once the lock came it would go on, with the COMMIT sent
// with it (target.CommitWith) committing a batch reported failed. So the
// server thread is killed too (a user may kill its own threads), over a
// connection of its own (target.AbandonConn); on a server that does not
// answer, that fails within killTimeout, and the server rolls the
// transaction back when it sees the closed connection. The connection is
// discarded, even when it was sound (a deadline that passed between
// statements): its thread is killed.
func (s *session) Abandon(ctx context.Context) {
	var kill func(context.Context, *sql.Conn) error
	if s.id != 0 {
		kill = s.kill
	}
	target.AbandonConn(ctx, s.conn, s.side, s.db, killTimeout, kill)
}

// threadIDs remembers the server thread of each driver connection, so
// that a batch reads CONNECTION_ID() once per connection rather than once
// per batch (a round trip of each batch). A driver connection talks to one
// server thread for its whole life (the driver never reconnects in place;
// a broken connection is discarded by the pool).
//
// The key is a weak pointer to the driver connection: it never keeps a
// connection the pool closed alive (with its buffers, up to 256 KiB each),
// and two weak pointers are equal only if made from the same object, even
// after it is collected, so a connection allocated later at the same
// address is another key: an entry is never another connection's thread,
// which KILL must not hit. When the map reaches maxThreadIDs entries, the
// entries of collected connections are dropped (all of them, should that
// leave it full: their threads are read again on the next use).
var threadIDs = struct {
	sync.Mutex
	m map[weak.Pointer[byte]]thread
}{m: map[weak.Pointer[byte]]thread{}}

// thread is a connection's server thread: its id, and its client address
// as the server's process list shows it ("" when not read).
type thread struct {
	id   int64
	host string
}

const maxThreadIDs = 1024

// connKey is the key of dc, a driver connection, in threadIDs; ok is false
// for a connection that is not a pointer (never cached).
func connKey(dc any) (key weak.Pointer[byte], ok bool) {
	v := reflect.ValueOf(dc)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return key, false
	}
	// Only the object's identity is used, never the byte.
	return weak.Make((*byte)(v.UnsafePointer())), true
}

// threadID is the server thread of conn's driver connection, whose key in
// threadIDs is key (when cacheable, see connKey).
func threadID(ctx context.Context, conn *sql.Conn, key weak.Pointer[byte], cacheable bool) (thread, error) {
	if cacheable {
		threadIDs.Lock()
		th, ok := threadIDs.m[key]
		threadIDs.Unlock()
		if ok {
			return th, nil
		}
	}
	var th thread
	if err := conn.QueryRowContext(ctx, threadQuery).Scan(&th.id, &th.host); err != nil {
		return thread{}, err
	}
	if cacheable {
		threadIDs.Lock()
		if len(threadIDs.m) >= maxThreadIDs {
			for k := range threadIDs.m {
				if k.Value() == nil {
					delete(threadIDs.m, k)
				}
			}
			if len(threadIDs.m) >= maxThreadIDs {
				clear(threadIDs.m)
			}
		}
		threadIDs.m[key] = th
		threadIDs.Unlock()
	}
	return th, nil
}

// threadQuery reads a connection's thread. Every user sees its own threads
// in the process list.
const threadQuery = "SELECT CONNECTION_ID(), COALESCE((SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()), '')"

// kill ends the session's server thread on c, a connection of its own:
// KILL, not KILL QUERY, for the transaction must end, not only its
// statement. Only the thread the session read is killed: after a restart
// of the server, or a switch to another behind the same address, its id
// may be another connection's, of another client address. Best effort: a
// thread already gone, or a server that does not answer (it rolls back
// once it sees the connection closed), leaves nothing to do.
func (s *session) kill(ctx context.Context, c *sql.Conn) error {
	if s.host != "" {
		var n int
		if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND HOST = ?", s.id, s.host).Scan(&n); err != nil || n == 0 {
			return err
		}
	}
	_, err := c.ExecContext(ctx, "KILL ?", s.id)
	return err
}

// killTimeout bounds killing an abandoned session's server thread.
const killTimeout = 2 * time.Second
