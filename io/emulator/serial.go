package emulator

import (
	"os"
	"sync"
)

// The emulator runs one read-write transaction at a time and aborts any
// other that starts meanwhile. The writer's transactions of one process
// (one per bundle in flight) then abort one another: each aborted one
// retries after a back-off, during which the others abort it again, and
// the more batches wait, the more of them are in flight. The bench saw it
// at 6,000 changes/s on MariaDB and at 4,000 on PostgreSQL: a stall
// dump showed three to seven writer batches, most of them sleeping in the
// client's back-off or rolling back a speculation whose read was aborted,
// and the lag jumped from about 1 s to 20-60 s. Taking turns in the
// process gives each the emulator's slot as soon as the previous one is
// done. Cloud Spanner runs them side by side, so there nothing waits. The
// cost, on the emulator only: a batch held up by a shard that does not
// answer holds up the process's other batches, of every shard, for as long
// as its deadlines let it (apply.MySQLTimeout per attempt, at most
// apply.BatchTimeout), as the emulator's single slot would anyway.

// readWrite is the turn of the process's writer transactions on the
// emulator.
var readWrite sync.Mutex

// ReadWriteTurn returns a lock that the writer holds around each read-write
// transaction of its batches, so that they take turns, when the process
// talks to the emulator (SPANNER_EMULATOR_HOST is set); nil otherwise,
// when they run side by side.
func ReadWriteTurn() sync.Locker {
	if os.Getenv("SPANNER_EMULATOR_HOST") == "" {
		return nil
	}
	return &readWrite
}
