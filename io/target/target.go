package target

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Target is what the launcher and the writer need of one kind of target
// database. MySQL is io/target/mysql; another kind is a folder beside it.
type Target interface {
	// Name names the kind in messages ("MySQL").
	Name() string
	// DefaultPort is the port of a shard whose file entry gives none.
	DefaultPort() string
	// ValidateShard checks what ParseShards cannot: the connection
	// properties and the time zone, as the target reads them.
	ValidateShard(s Shard) error
	// CheckShard checks at launch that the writer will be able to work on
	// s: it answers, the login works, the database exists, accepts writes
	// and the user may change rows.
	CheckShard(ctx context.Context, s Shard) error
	// ReadSchema reads the tables of s (the source schema).
	ReadSchema(ctx context.Context, s Shard) (schema.Source, error)
	// Acquire returns the worker's shared writer pool of s, at most
	// poolSize connections; release gives it back.
	Acquire(s Shard, poolSize int) (db *sql.DB, release func(), err error)
	// Values is the target's conversion of Spanner values.
	Values() mapping.Values
	// Connect takes a connection of db (a pool from Acquire) for one
	// attempt of a batch.
	Connect(ctx context.Context, db *sql.DB) (Session, error)
	// Scanner reads tables back for runMode=verify.
	Scanner() Scanner
	// ShadowTarget creates the shadow tables of shadowTableLocation=source.
	ShadowTarget
}

// Session is one attempt of a batch on one connection: the target's
// transaction of steps 3 to 5 of the apply protocol (io/shadow/apply).
// Its errors are classified (*Error, *BatchError).
type Session interface {
	// Begin starts the transaction.
	Begin(ctx context.Context) error
	// Write writes changes in the transaction. Rows the target refused
	// one by one (a unique value still held by another row) come back by
	// index into changes, with their errors; the others are written. An
	// error fails the whole attempt.
	Write(ctx context.Context, changes []Change) (refused map[int]error, err error)
	Commit() error
	Rollback() error
	// Abandon gives up on the session after a deadline, a cancellation or
	// a connection lost in the middle of a statement: it makes the server
	// end the transaction and discards the connection. It must work with
	// ctx already ended. The caller ends the context the session's
	// transaction began with first: discarding waits for its end.
	Abandon(ctx context.Context)
	// Close gives the connection back.
	Close() error
	// ShadowSession reads and writes the shadow rows kept in the shard
	// (shadowTableLocation=source), in the same transaction.
	ShadowSession
}

// Change is one row to write with its version, which orders the changes of
// a table with unique keys besides the primary key.
type Change struct {
	Row     mapping.Row
	Version newer.Version
	// Unique: the row's table has unique keys besides the primary key, so
	// its rows are written one by one in version order.
	Unique bool
}

// CheckTimeout bounds the launch check of one shard.
const CheckTimeout = 30 * time.Second

// TableChecker is a Target whose launch check also covers the tables the
// job will write. Those are known only once the source schema is read and
// mapped, after CheckShard, so the launch calls CheckTables then: a user
// may lack rights on tables that are not replicated.
type TableChecker interface {
	// CheckTables checks that the writer may change rows of every one of
	// tables (source table names, as the schema read at launch spells
	// them) on s, and reports every problem together.
	CheckTables(ctx context.Context, s Shard, tables []string) error
}

// CheckShards checks every shard in parallel and reports every failure
// together, so a launch with several broken shards fails once, naming all.
func CheckShards(ctx context.Context, t Target, shards []Shard) error {
	return eachShard(ctx, shards, t.CheckShard)
}

// CheckTables runs t's CheckTables (when t is a TableChecker) on every
// shard in parallel, as CheckShards does; other targets check nothing
// here.
func CheckTables(ctx context.Context, t Target, shards []Shard, tables []string) error {
	tc, ok := t.(TableChecker)
	if !ok || len(tables) == 0 {
		return nil
	}
	return eachShard(ctx, shards, func(ctx context.Context, s Shard) error { return tc.CheckTables(ctx, s, tables) })
}

// eachShard runs check on every shard in parallel, each bounded by
// CheckTimeout, and joins the failures, each naming its shard.
func eachShard(ctx context.Context, shards []Shard, check func(context.Context, Shard) error) error {
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, CheckTimeout)
			defer cancel()
			if err := check(cctx, s); err != nil {
				errs[i] = fmt.Errorf("shard %q (%s@%s:%s/%s): %w", s.ID(), s.User, s.Host, s.Port, s.DBName, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// PoolSize shares a shard's connection budget (maxShardConnections, summed
// over all workers) among the workers: each worker opens at most this many
// connections to each shard. maxWorkers 0 means unknown and counts as 1.
func PoolSize(maxShardConnections, maxWorkers int64) (int, error) {
	if maxWorkers < 1 {
		maxWorkers = 1
	}
	n := maxShardConnections / maxWorkers
	if n < 1 {
		return 0, fmt.Errorf("maxShardConnections %d divided by max_num_workers %d leaves no connection per worker; raise maxShardConnections to at least %d or lower max_num_workers",
			maxShardConnections, maxWorkers, maxWorkers)
	}
	return int(n), nil
}
