package mysql

import (
	"database/sql"
	"sync"
)

// Beam runs several instances of a DoFn in one worker process, each with
// its own Setup. Sharing one pool per shard among them keeps a worker at
// maxShardConnections / max_num_workers connections per shard, the budget
// the parameter promises, instead of that many per DoFn instance.
var (
	poolsMu sync.Mutex
	pools   = map[string]*sharedPool{}
)

type sharedPool struct {
	db   *sql.DB
	refs int
}

// Acquire returns the worker's pool for the shard, opening it on first use.
// Call release once when done (Teardown); the last release closes it.
func Acquire(s Shard, poolSize int) (db *sql.DB, release func(), err error) {
	dsn, err := DSN(s)
	if err != nil {
		return nil, nil, err
	}
	poolsMu.Lock()
	defer poolsMu.Unlock()
	p, ok := pools[dsn]
	if !ok {
		db, err := Open(s, poolSize)
		if err != nil {
			return nil, nil, err
		}
		p = &sharedPool{db: db}
		pools[dsn] = p
	}
	p.refs++
	var once sync.Once
	return p.db, func() {
		once.Do(func() {
			poolsMu.Lock()
			defer poolsMu.Unlock()
			if p.refs--; p.refs == 0 {
				delete(pools, dsn)
				p.db.Close()
			}
		})
	}, nil
}
