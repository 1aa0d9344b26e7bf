package postgresql

import (
	"database/sql"
	"sync"
	"time"
)

// WriterIOTimeout caps the I/O timeout of the writer's connections
// (Acquire), as mysql.WriterIOTimeout does and for the same reason: the
// batch's Spanner transaction waits on the COMMIT, which database/sql runs
// without a context, and Spanner aborts a transaction idle for about 10 s.
// socketTimeout may lower it, not raise it. Connections opened at launch
// (Open) keep the shard's own timeout.
const WriterIOTimeout = 8 * time.Second

// Beam runs several instances of a DoFn in one worker process, each with
// its own Setup. Sharing one pool per shard among them keeps a worker at
// maxShardConnections / max_num_workers connections per shard.
var (
	poolsMu sync.Mutex
	pools   = map[string]*sharedPool{}
)

type sharedPool struct {
	db   *sql.DB
	refs int
}

// Acquire returns the worker's pool for the shard, opening it on first use,
// with the writer's I/O timeout. Call release once when done (Teardown);
// the last release closes it.
func Acquire(s Shard, poolSize int) (db *sql.DB, release func(), err error) {
	c, err := config(s)
	if err != nil {
		return nil, nil, err
	}
	io := min(c.ioTimeout, WriterIOTimeout)
	key := c.key + "\x00" + io.String()
	poolsMu.Lock()
	defer poolsMu.Unlock()
	p, ok := pools[key]
	if !ok {
		p = &sharedPool{db: open(c, io, poolSize)}
		pools[key] = p
	}
	p.refs++
	var once sync.Once
	return p.db, func() {
		once.Do(func() {
			poolsMu.Lock()
			defer poolsMu.Unlock()
			if p.refs--; p.refs == 0 {
				delete(pools, key)
				namespaces.Delete(p.db)
				p.db.Close()
			}
		})
	}, nil
}
