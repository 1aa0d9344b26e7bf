package postgresql

import (
	"database/sql"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// WriterIOTimeout caps the I/O timeout of the writer's connections
// (Acquire), as mysql.WriterIOTimeout does and for the same reason: the
// batch's Spanner transaction waits on the COMMIT, which database/sql runs
// without a context, and Spanner aborts a transaction idle for about 10 s.
// socketTimeout may lower it, not raise it. Connections opened at launch
// (Open) keep the shard's own timeout.
const WriterIOTimeout = 8 * time.Second

// pools shares the writers' pools of a worker (target.Pools), by
// connection settings and I/O timeout.
var pools target.Pools

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
	return pools.Acquire(key, func() (*sql.DB, error) { return open(c, io, poolSize), nil },
		func(db *sql.DB) { namespaces.Delete(db) })
}
