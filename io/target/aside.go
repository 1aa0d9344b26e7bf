package target

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"
)

// ExecAside runs query, within timeout even when ctx has already ended, on
// a connection of its own that side opens outside every pool, or on db's
// pool when side is nil. It is how a session that gives up ends its
// server thread (Session.Abandon): through the writer's pool the statement
// would queue behind the batches waiting for a connection, which
// database/sql serves in no set order, and the statement it must stop
// (a write waiting for a lock, and on MySQL the COMMIT sent with it,
// CommitWith) could meanwhile get its lock and commit. That connection
// is one beyond the pool's size (maxShardConnections), for at most
// timeout.
func ExecAside(ctx context.Context, side driver.Connector, db *sql.DB, timeout time.Duration, query string, args ...any) error {
	return RunAside(ctx, side, db, timeout, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, query, args...)
		return err
	})
}

// RunAside is ExecAside for several statements on the one connection.
func RunAside(ctx context.Context, side driver.Connector, db *sql.DB, timeout time.Duration, f func(context.Context, *sql.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if side != nil {
		db = sql.OpenDB(side)
		db.SetMaxOpenConns(1)
		defer db.Close()
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(ctx, c)
}
