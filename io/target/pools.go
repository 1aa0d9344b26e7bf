package target

import (
	"database/sql"
	"sync"
	"time"
)

// Pools shares one pool per shard among the DoFn instances of a worker
// process. Beam runs several instances of a DoFn in one process, each with
// its own Setup; sharing the pool keeps a worker at maxShardConnections /
// max_num_workers connections per shard, the budget the parameter
// promises, instead of that many per DoFn instance. Each target keeps one
// Pools for its Acquire. The zero value is ready to use.
type Pools struct {
	mu    sync.Mutex
	pools map[string]*sharedPool
}

type sharedPool struct {
	db   *sql.DB
	refs int
}

// Acquire returns the pool of key (the connection settings, everything
// that makes two pools differ), opening it with open on first use. Call
// release once when done (Teardown); the last release calls closed, when
// not nil, and closes the pool.
func (p *Pools) Acquire(key string, open func() (*sql.DB, error), closed func(*sql.DB)) (db *sql.DB, release func(), err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sp, ok := p.pools[key]
	if !ok {
		db, err := open()
		if err != nil {
			return nil, nil, err
		}
		sp = &sharedPool{db: db}
		if p.pools == nil {
			p.pools = map[string]*sharedPool{}
		}
		p.pools[key] = sp
	}
	sp.refs++
	var once sync.Once
	return sp.db, func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if sp.refs--; sp.refs == 0 {
				delete(p.pools, key)
				if closed != nil {
					closed(sp.db)
				}
				sp.db.Close()
			}
		})
	}, nil
}

// PoolIdleTime is how long a pool keeps an idle connection.
const PoolIdleTime = 5 * time.Minute

// SizePool bounds db at poolSize connections, open and idle, and closes
// connections idle for PoolIdleTime.
func SizePool(db *sql.DB, poolSize int) {
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	db.SetConnMaxIdleTime(PoolIdleTime)
}
