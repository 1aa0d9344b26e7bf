package target

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"
)

// AbandonConn is the common part of Session.Abandon: it ends the server
// side of conn, a connection of db's pool that a session gives up, with
// end, then discards conn, never handing it back. end runs within timeout,
// even when ctx has already ended, on a connection of its own that side
// opens outside every pool: through the writer's pool it would queue
// behind the batches waiting for a connection, which database/sql serves
// in no set order, and the statement it must stop (a write waiting for a
// lock, and on MySQL the COMMIT sent with it, CommitWith) could meanwhile
// get its lock and commit. That connection is one beyond the pool's size
// (maxShardConnections), for at most timeout. With side nil (a pool the
// target did not open) end goes through db's pool, after conn is
// discarded, freeing its slot.
//
// Discarding conn waits for the end, on the client, of the transaction
// begun on it: the caller ends that transaction's context first.
func AbandonConn(ctx context.Context, conn *sql.Conn, side driver.Connector, db *sql.DB, timeout time.Duration, end func(context.Context, *sql.Conn) error) {
	discard := func() {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
	}
	if side == nil {
		discard()
	}
	if end != nil {
		_ = runAside(ctx, side, db, timeout, end)
	}
	discard() // a second time: ErrConnDone
}

// runAside runs f on a connection that side opens, or one of db's pool
// when side is nil, within timeout even when ctx has already ended.
func runAside(ctx context.Context, side driver.Connector, db *sql.DB, timeout time.Duration, f func(context.Context, *sql.Conn) error) error {
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
