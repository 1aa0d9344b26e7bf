package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
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
// transaction.
func (s *session) Begin(ctx context.Context) error {
	id, err := threadID(ctx, s.conn)
	if err != nil {
		return fmt.Errorf("MySQL: reading the connection id: %w", Classify(err))
	}
	s.id = id
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("MySQL: starting a transaction: %w", Classify(err))
	}
	s.tx = tx
	return nil
}

// Write writes changes in the transaction. Rows of tables with secondary
// unique indexes that MySQL refused come back by index into changes, with
// their errors (see unique.go); an error fails the whole attempt.
func (s *session) Write(ctx context.Context, changes []target.Change) (refused map[int]error, err error) {
	steps, err := statements(changes)
	if err != nil {
		return nil, &target.BatchError{Target: name, Err: err}
	}
	for _, st := range steps {
		if st.unique != nil {
			f, err := applyUnique(ctx, s.conn, s.tx, st.unique)
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

// Commit commits the transaction. database/sql runs it without a context;
// the driver's read timeout of the writer's connections (WriterIOTimeout)
// bounds it.
func (s *session) Commit() error {
	if err := s.tx.Commit(); err != nil {
		return fmt.Errorf("MySQL: commit: %w", Classify(err))
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

// Abandon gives up on a session after a deadline. The server only notices
// the closed connection when the statement ends: one waiting for a row lock
// would keep its transaction, and the locks of the batch's earlier
// statements, until its own lock wait timeout, blocking every retry of
// those rows. So the server thread is killed too (a user may kill its own
// threads); on a server that does not answer, that fails within
// killTimeout, and the server rolls the transaction back when it sees the
// closed connection.
func (s *session) Abandon(ctx context.Context) {
	s.conn.Close() // gives its pool slot back for the KILL
	if s.id != 0 {
		killThread(ctx, s.db, s.id)
	}
}

// threadIDs remembers the server thread of each driver connection, so
// that a batch reads CONNECTION_ID() once per connection rather than once
// per batch (a round trip of each batch). A driver connection talks to one
// server thread for its whole life (the driver never reconnects in place;
// a broken connection is discarded by the pool), and the map holds the
// driver connection itself as the key, so no other connection can take
// its address while its entry exists: an entry is never another
// connection's thread, which KILL must not hit. The map is emptied when it
// reaches maxThreadIDs entries, which bounds what it keeps of connections
// the pools have closed; their threads are read again on the next use.
var threadIDs = struct {
	sync.Mutex
	m map[any]int64
}{m: map[any]int64{}}

const maxThreadIDs = 1024

// threadID is the server thread of conn's driver connection.
func threadID(ctx context.Context, conn *sql.Conn) (int64, error) {
	var key any
	// The driver connection only serves as the key, never used outside.
	if err := conn.Raw(func(dc any) error { key = dc; return nil }); err != nil {
		return 0, err
	}
	cacheable := key != nil && reflect.TypeOf(key).Comparable()
	if cacheable {
		threadIDs.Lock()
		id, ok := threadIDs.m[key]
		threadIDs.Unlock()
		if ok {
			return id, nil
		}
	}
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		return 0, err
	}
	if cacheable {
		threadIDs.Lock()
		if len(threadIDs.m) >= maxThreadIDs {
			clear(threadIDs.m)
		}
		threadIDs.m[key] = id
		threadIDs.Unlock()
	}
	return id, nil
}

// killTimeout bounds killing a timed-out batch's server thread.
const killTimeout = 2 * time.Second

// killThread ends the server thread of a connection the writer gave up on,
// and with it its transaction and locks. Best effort: a thread already
// gone, or a server that does not answer, changes nothing for the batch.
func killThread(ctx context.Context, db *sql.DB, id int64) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
	defer cancel()
	_, _ = db.ExecContext(kctx, "KILL ?", id)
}

// step is one statement, or the rows of a table with secondary unique
// indexes, written one by one (unique.go).
type step struct {
	dml.Statement
	unique []uniqueRow
}

// statements groups rows into multi-row statements: one upsert per table
// and column list, one delete per table, in the order in which each group
// first appears. Rows touch distinct keys (one change per key), so within
// a group their order does not matter. Tables with unique indexes besides
// the primary key are the exception: their changes, deletes included, form
// one step at the table's first appearance and are written one by one in
// commit order (unique.go).
func statements(apply []target.Change) ([]step, error) {
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
		unique := p.Unique
		id := "D" + r.Table
		switch {
		case unique:
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
		case unique:
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
		// Wide tables need several statements to stay under the protocol's
		// placeholder limit.
		per := max(1, dml.MaxPlaceholders/max(1, width))
		for rows := g.rows; len(rows) > 0; {
			n := min(per, len(rows))
			var st dml.Statement
			var err error
			if g.delete {
				st, err = dml.Delete(g.table, g.keyCols, rows[:n])
			} else {
				st, err = dml.Upsert(g.table, g.cols, g.keyCols, rows[:n])
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
