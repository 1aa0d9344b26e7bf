package postgresql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
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

// Begin notes the connection's server process (for Abandon) and starts the
// transaction.
func (s *session) Begin(ctx context.Context) error {
	var current sql.NullString
	if err := s.conn.QueryRowContext(ctx, "SELECT pg_backend_pid(), current_schema()").Scan(&s.pid, &current); err != nil {
		return fmt.Errorf("PostgreSQL: reading the backend pid: %w", Classify(err))
	}
	if s.ns == "" {
		if !current.Valid {
			return fmt.Errorf("PostgreSQL: the connection has no current schema (search_path names none that exists)")
		}
		s.ns = current.String
	}
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("PostgreSQL: starting a transaction: %w", Classify(err))
	}
	s.tx = tx
	return nil
}

// Write writes changes in the transaction. Rows of tables with unique
// indexes besides the primary key that PostgreSQL refused come back by
// index into changes, with their errors (see unique.go); an error fails
// the whole attempt (PostgreSQL has aborted the transaction then).
func (s *session) Write(ctx context.Context, changes []target.Change) (refused map[int]error, err error) {
	steps, err := statements(s.ns, changes)
	if err != nil {
		return nil, &target.BatchError{Target: name, Err: err}
	}
	for _, st := range steps {
		if st.unique != nil {
			f, err := applyUnique(ctx, s.tx, s.ns, st.unique)
			if err != nil {
				return nil, err
			}
			for idx, e := range f {
				if refused == nil {
					refused = map[int]error{}
				}
				refused[idx] = e
			}
			continue
		}
		if _, err := s.tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			return nil, &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
		}
	}
	return refused, nil
}

// Commit commits the transaction. database/sql's Commit takes no context,
// but pgx's driver commits under the context BeginTx was given (Begin's),
// so that context's deadline or cancellation bounds the COMMIT as well,
// besides the I/O timeout of the writer's connections (WriterIOTimeout).
func (s *session) Commit() error {
	if err := s.tx.Commit(); err != nil {
		return fmt.Errorf("PostgreSQL: commit: %w", Classify(err))
	}
	return nil
}

// Rollback rolls the transaction back, if one was started.
func (s *session) Rollback() error {
	if s.tx == nil {
		return nil
	}
	return Classify(s.tx.Rollback())
}

// Close gives the connection back to the pool.
func (s *session) Close() error { return s.conn.Close() }

// Abandon gives up on a session after a deadline. A backend waiting for a
// row lock does not notice its client is gone until the wait ends, and
// keeps the locks of the batch's earlier statements meanwhile, blocking
// every retry of those rows; so the backend is terminated too (a user may
// terminate its own backends). Best effort, within killTimeout.
//
// The connection is discarded (conn.Raw reporting driver.ErrBadConn), not
// handed back: a connection back in the pool could be taken by another
// session just before its backend is terminated, failing that session's
// batch instead. Discarding it also frees its slot in the pool for the
// terminating statement.
func (s *session) Abandon(ctx context.Context) {
	_ = s.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = s.conn.Close()
	if s.pid != 0 {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
		defer cancel()
		_, _ = s.db.ExecContext(kctx, "SELECT pg_terminate_backend($1)", s.pid)
	}
}

// killTimeout bounds terminating a timed-out batch's backend.
const killTimeout = 2 * time.Second

// step is one statement, or the rows of a table with unique indexes
// besides the primary key, written one by one (unique.go).
type step struct {
	dml.Statement
	unique []uniqueRow
}

// statements groups rows into multi-row statements: one upsert per table
// and column list, one delete per table, in the order in which each group
// first appears, each split to stay under the protocol's parameter limit.
// Rows touch distinct keys (one change per key), so within a group their
// order does not matter. Tables with unique indexes besides the primary
// key form one step at the table's first appearance and are written one by
// one in commit order (unique.go).
func statements(ns string, apply []target.Change) ([]step, error) {
	type group struct {
		table   string
		cols    []string
		keyCols []string
		rows    [][]any
		delete  bool
		unique  []uniqueRow
	}
	var order []string
	groups := map[string]*group{}
	for i, p := range apply {
		r := p.Row
		id := "D" + r.Table
		switch {
		case p.Unique:
			id = "R" + r.Table
		case !r.Delete:
			id = "U" + r.Table + "\x00" + strings.Join(r.Columns, "\x00")
		}
		g, ok := groups[id]
		if !ok {
			g = &group{table: r.Table, cols: r.Columns, keyCols: r.KeyColumns, delete: r.Delete}
			groups[id] = g
			order = append(order, id)
		}
		switch {
		case p.Unique:
			g.unique = append(g.unique, uniqueRow{idx: i, row: r})
		case r.Delete:
			g.rows = append(g.rows, r.KeyValues)
		default:
			g.rows = append(g.rows, r.Values)
		}
	}
	var out []step
	for _, id := range order {
		g := groups[id]
		if g.unique != nil {
			slices.SortStableFunc(g.unique, func(x, y uniqueRow) int {
				vx, vy := apply[x.idx].Version, apply[y.idx].Version
				return cmpBool(vx.After(vy), vy.After(vx))
			})
			out = append(out, step{unique: g.unique})
			continue
		}
		width := len(g.cols)
		if g.delete {
			width = len(g.keyCols)
		}
		per := max(1, dml.MaxParams/max(1, width))
		for rows := g.rows; len(rows) > 0; {
			n := min(per, len(rows))
			var st dml.Statement
			var err error
			if g.delete {
				st, err = dml.Delete(ns, g.table, g.keyCols, rows[:n])
			} else {
				st, err = dml.Upsert(ns, g.table, g.cols, g.keyCols, rows[:n])
			}
			if err != nil {
				// A statement we cannot build will never apply: severe.
				return nil, failure.MarkSevere(fmt.Errorf("table %s: %w", g.table, err))
			}
			out = append(out, step{Statement: st})
			rows = rows[n:]
		}
	}
	return out, nil
}

// cmpBool orders false before true.
func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}
