package apply

import (
	"context"
	"database/sql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Key locks: what makes a writer wait for another on PostgreSQL.
//
// The package doc's argument for a transaction T that loses its shadow
// locks after step 4 needs the writer W that takes them next to wait, in
// the target, for T's transaction M on every row M changed. InnoDB gives
// that by itself: every row M wrote, an inserted one included, carries
// M's lock until M ends. PostgreSQL does not for a row M inserted: W's
// DELETE of that key does not see the uncommitted row, returns at once
// having deleted nothing, and M's insert commits after it. W then records
// the delete in the shadow row, newer than M's version, over a target
// that holds M's row: a lost delete, which nothing repairs (M's own retry
// finds W's version newer and skips).
//
// So on a target whose sessions are target.KeyLockers (PostgreSQL), every
// transaction that writes a batch here (step 3, and a speculation) first
// locks the keys of the rows it writes, until it ends: W's lock waits for
// M to end, and W's DELETE, a statement after it, sees M's row. Upserts
// take the locks too, a speculation's included: a delete that follows must
// wait for them. The locks go out with the batch's first statement, in its
// round trip (io/target/postgresql, lazybegin.go).
//
// shadowTableLocation=source (source.go) needs none: there the shadow
// rows, locked in the target's own transaction before its writes, order
// the writers.

// openWriting is openAttempt for a transaction that will write changes:
// on a KeyLocker, their keys are locked before anything else is done.
func (a *Applier) openWriting(ctx context.Context, db *sql.DB, changes []target.Change) (*attempt, error) {
	t, err := a.openAttempt(ctx, db)
	if err != nil {
		return nil, err
	}
	if err := t.lockKeys(changes); err != nil {
		return nil, err
	}
	return t, nil
}

// lockKeys locks the keys of changes, on a KeyLocker, before t writes
// anything; t is over if it fails.
func (t *attempt) lockKeys(changes []target.Change) error {
	if kl, ok := t.sess.(target.KeyLocker); ok {
		if err := kl.LockKeys(t.ctx, changes); err != nil {
			return t.fail(err)
		}
	}
	return nil
}
