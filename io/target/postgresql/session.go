package postgresql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
)

// namespaces remembers the namespace of each pool this package opened
// (Open, Acquire), for the sessions on it; a pool opened elsewhere writes
// to its connections' current_schema().
var namespaces sync.Map // *sql.DB -> string

// session is one batch attempt on one connection of a shard's pool: the
// PostgreSQL transaction of steps 3 to 5 of the apply protocol
// (io/shadow/apply). Every error it returns is classified (Classify).
type session struct {
	db   *sql.DB
	conn *sql.Conn
	tx   *sql.Tx
	pid  int64 // the server process, for Abandon
	// started is when it started (µs since 1970; 0 when not known), which
	// tells it from a process of the same id after a restart (Abandon).
	started int64
	// side opens a connection outside the pool, for Abandon; nil for a
	// pool this package did not open.
	side driver.Connector
	ns   string
}

// Connect implements target.Target: a connection of db's pool.
func (Target) Connect(ctx context.Context, db *sql.DB) (target.Session, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: connecting: %w", Classify(err))
	}
	s := &session{db: db, conn: conn}
	if ns, ok := namespaces.Load(db); ok {
		s.ns = ns.(string)
	}
	return s, nil
}

// Begin starts the transaction, at READ COMMITTED, and notes the server
// process that runs it (for Abandon).
//
// The process id is read by a query, pg_backend_pid(), not taken from the
// connection's start-up: a connection pooler (PgBouncer, in any pool
// mode) announces a cancellation key of its own making there, whose
// process id is no server process, or another's. The query runs in the
// transaction, so under transaction pooling it names the server
// connection the transaction holds; a connection that keeps prepared
// statements (the default; not with prepareThreshold=0) is pinned to one
// server process, and keeps the id it read (rememberPID), so only its
// first batch pays the query. The namespace is read in the same query for
// a pool this package did not open.
func (s *session) Begin(ctx context.Context) error {
	s.pid, s.started, s.side = 0, 0, nil
	if err := s.conn.Raw(func(dc any) error {
		s.pid, s.started = rememberedPID(dc)
		if lc, ok := dc.(*lazyConn); ok {
			s.side = lc.side
		}
		return nil
	}); err != nil {
		return fmt.Errorf("PostgreSQL: reading the backend pid: %w", Classify(err))
	}
	// READ COMMITTED, whatever the server's default: see keylock.go.
	tx, err := s.conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("PostgreSQL: starting a transaction: %w", Classify(err))
	}
	if s.pid == 0 || s.ns == "" {
		if err := s.readBackend(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	s.tx = tx
	return nil
}

// readBackend reads the transaction's server process and, for a pool
// this package did not open, the namespace.
func (s *session) readBackend(ctx context.Context, tx *sql.Tx) error {
	var current sql.NullString
	var started sql.NullInt64 // NULL if the user may not see it
	if err := tx.QueryRowContext(ctx, backendQuery).Scan(&s.pid, &current, &started); err != nil {
		return fmt.Errorf("PostgreSQL: reading the backend pid: %w", Classify(err))
	}
	s.started = started.Int64
	if s.ns == "" {
		if !current.Valid {
			return fmt.Errorf("PostgreSQL: the connection has no current schema (search_path names none that exists)")
		}
		s.ns = current.String
	}
	return s.conn.Raw(func(dc any) error {
		rememberPID(dc, s.pid, s.started)
		return nil
	})
}

// backendQuery reads the transaction's server process, the namespace and
// when the process started (pg_stat_get_activity of the one process, not
// the pg_stat_activity view, which copies every backend's status).
const backendQuery = `SELECT pg_backend_pid(), current_schema(),
  (SELECT (extract(epoch FROM backend_start) * 1000000)::bigint FROM pg_stat_get_activity(pg_backend_pid()))`

// pidKey and startedKey are where a connection keeps its server process
// id and its start (pgconn's CustomData).
const (
	pidKey     = "revrepl.backend_pid"
	startedKey = "revrepl.backend_started"
)

// rememberedPID is the server process id a connection kept, or 0, and
// the process's start.
func rememberedPID(dc any) (pid, started int64) {
	if c := pgxConn(dc); c != nil {
		pid, _ = c.PgConn().CustomData()[pidKey].(int64)
		started, _ = c.PgConn().CustomData()[startedKey].(int64)
	}
	return pid, started
}

// rememberPID keeps pid on a connection that keeps prepared statements:
// only such a connection is sure to talk to one server process for its
// life (a pooler in transaction mode cannot keep them: prepareThreshold=0).
func rememberPID(dc any, pid, started int64) {
	if c := pgxConn(dc); c != nil && c.Config().DefaultQueryExecMode == pgx.QueryExecModeCacheStatement {
		c.PgConn().CustomData()[pidKey] = pid
		c.PgConn().CustomData()[startedKey] = started
	}
}

// Write writes changes in the transaction (target.Writer). Rows of tables
// with unique indexes besides the primary key that PostgreSQL refused come
// back by index into changes, with their errors (see unique.go); an error
// fails the whole attempt (PostgreSQL has aborted the transaction then).
func (s *session) Write(ctx context.Context, changes []target.Change) (refused map[int]error, err error) {
	w := s.writer()
	return w.Write(ctx, changes, func(ctx context.Context, rows []target.UniqueRow) (map[int]error, error) {
		return applyUnique(ctx, w, s.ns, rows)
	})
}

// writer writes in the session's transaction, to the session's namespace.
func (s *session) writer() target.Writer {
	return target.Writer{Name: name, Classify: Classify, DML: builders(s.ns), Tx: s.tx}
}

// builders are PostgreSQL's statement builders (dml) for the tables of
// namespace ns, as target.Writer uses them.
func builders(ns string) target.DML {
	return target.DML{
		Upsert: func(table string, cols, keyCols []string, rows [][]any) (dml.Statement, error) {
			return dml.Upsert(ns, table, cols, keyCols, rows)
		},
		Insert: func(table string, cols []string, rows [][]any) (dml.Statement, error) {
			return dml.Insert(ns, table, cols, rows)
		},
		Update: func(table string, cols, keyCols []string, row []any) (dml.Statement, error) {
			return dml.Update(ns, table, cols, keyCols, row)
		},
		Delete: func(table string, keyCols []string, keys [][]any) (dml.Statement, error) {
			return dml.Delete(ns, table, keyCols, keys)
		},
		MaxParams: dml.MaxParams,
	}
}

// Commit commits the transaction. database/sql's Commit takes no context,
// but the writer's connections (lazybegin.go) commit under the context
// BeginTx was given (Begin's), as pgx's own transactions do, so that
// context's deadline or cancellation bounds the COMMIT as well, besides
// the I/O timeout of the writer's connections (WriterIOTimeout).
func (s *session) Commit() error { return s.writer().Commit() }

// Rollback rolls the transaction back, if one was started.
func (s *session) Rollback() error { return s.writer().Rollback() }

// Close gives the connection back to the pool.
func (s *session) Close() error { return s.conn.Close() }

// Abandon gives up on a session after a deadline, a cancellation or a
// connection lost in the middle of a statement. A backend waiting for a
// row lock does not notice its client is gone until the wait ends, and
// keeps the locks of the batch's earlier statements meanwhile, blocking
// every retry of those rows; so the backend is terminated too (a user may
// terminate its own backends), over a connection of its own
// (target.AbandonConn). Best effort, within killTimeout. The connection is
// discarded, even when it was sound: its backend is terminated.
func (s *session) Abandon(ctx context.Context) {
	var terminate func(context.Context, *sql.Conn) error
	if s.pid != 0 {
		terminate = s.terminate
	}
	target.AbandonConn(ctx, s.conn, s.side, s.db, killTimeout, terminate)
}

// terminate ends the session's backend on c, a connection of its own. Only
// the process the session read: after a restart of the server, or a switch
// to another behind the same address, its id may be another's, started at
// another time (unguarded when the start is not known).
func (s *session) terminate(ctx context.Context, c *sql.Conn) error {
	if s.started == 0 {
		_, err := c.ExecContext(ctx, "SELECT pg_terminate_backend($1)", s.pid)
		return err
	}
	_, err := c.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_get_activity($1::int)
  WHERE (extract(epoch FROM backend_start) * 1000000)::bigint = $2`, s.pid, s.started)
	return err
}

// killTimeout bounds terminating an abandoned session's backend.
const killTimeout = 2 * time.Second
