package mysql

import (
	"database/sql"
	"fmt"
	"net/url"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// WriterIOTimeout caps the driver's readTimeout and writeTimeout on the
// writer's connections (Acquire): how long one network read or write may
// wait for the shard. The writer bounds its statements with a context
// (apply.MySQLTimeout in io/shadow/apply), but database/sql commits and rolls back without
// one, so against a shard that stopped answering without closing its
// connections (a frozen process, a partition dropping packets) only this
// timeout ends a COMMIT; the driver then closes the connection, and the
// pool discards it. It matches apply.MySQLTimeout: the batch's Spanner
// transaction waits on the COMMIT, and Spanner aborts a transaction idle
// for about 10 s. Every statement of the writer is bounded by that context
// anyway, so the cap costs no legitimate wait; connectionProperties
// (socketTimeout, readTimeout, writeTimeout) may lower it, not raise it.
// Connections opened at launch (Open) keep the DSN's timeouts.
const WriterIOTimeout = 8 * time.Second

// writerDSN is the shard's DSN with its I/O timeouts capped at
// WriterIOTimeout. The driver applies DSN parameters in order, so the
// appended ones win.
func writerDSN(s Shard) (string, error) {
	dsn, err := DSN(s)
	if err != nil {
		return "", err
	}
	c, err := driver.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("shard %q: %w", s.ID(), err)
	}
	capped := url.Values{}
	if c.ReadTimeout == 0 || c.ReadTimeout > WriterIOTimeout {
		capped.Set("readTimeout", WriterIOTimeout.String())
	}
	if c.WriteTimeout == 0 || c.WriteTimeout > WriterIOTimeout {
		capped.Set("writeTimeout", WriterIOTimeout.String())
	}
	if len(capped) == 0 {
		return dsn, nil
	}
	return dsn + "&" + capped.Encode(), nil
}

// pools shares the writers' pools of a worker (target.Pools), by DSN.
var pools target.Pools

// Acquire returns the worker's pool for the shard, opening it on first use,
// with the writer's I/O timeouts (WriterIOTimeout). Call release once when
// done (Teardown); the last release closes it.
func Acquire(s Shard, poolSize int) (db *sql.DB, release func(), err error) {
	dsn, err := writerDSN(s)
	if err != nil {
		return nil, nil, err
	}
	return pools.Acquire(dsn, func() (*sql.DB, error) { return open(s, dsn, poolSize) }, nil)
}
