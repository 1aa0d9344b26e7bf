package postgresql

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/keylock"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// Why the session locks keys (target.KeyLocker): a DELETE waits only for
// the rows it sees, and another transaction's uncommitted insert is not
// one of them. The apply protocol's proof needs a writer of a key to wait
// for the transaction of any writer of the same key that came before it
// (io/shadow/apply), so every batch of the metadata mode takes, before its
// statements, a transaction-scoped advisory lock per row it writes.
//
// The locks are of the two-key form, (KeyLockClass, keylock.Hash of the
// namespace, the table and the key values): that form never conflicts
// with advisory locks of the one-key (bigint) form, and with those of the
// two-key form only when their first key is KeyLockClass, which the
// documentation reserves. Two rows whose hashes collide only make their
// writers wait for each other more than needed. One statement takes every
// key of a batch, in ascending order (keylock.Keys), so writers never
// wait for each other's advisory locks in a cycle; it runs before the
// batch's first row statement, so no writer holds a row lock while it
// waits for a key. Each lock takes an entry of the server's shared lock
// table (sized by max_locks_per_transaction) until the transaction ends:
// a batch holds as many as it writes rows.
//
// The transaction runs at READ COMMITTED whatever the server's default
// (session.Begin): at REPEATABLE READ or SERIALIZABLE the lock statement,
// the transaction's first, would take the snapshot before its wait, and a
// DELETE after it would still not see the row inserted by the transaction
// it waited for.

// KeyLockClass is the first key of the writer's advisory locks: "revr" in
// ASCII.
const KeyLockClass int32 = 0x72657672

// lockKeysSQL takes the advisory locks of the keys in $1, a text int4[]
// literal, in the array's order (unnest reads an array in order).
var lockKeysSQL = fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, k) FROM unnest($1::int4[]) AS k`, KeyLockClass)

var _ target.KeyLocker = (*session)(nil)

// LockKeys implements target.KeyLocker: on the writer's connections
// (lazybegin.go) the lock statement goes out with the transaction's next
// statement, in its round trip (after the BEGIN, if that is still to be
// sent), and the server takes the locks before running it; elsewhere, at
// once.
func (s *session) LockKeys(ctx context.Context, changes []target.Change) error {
	rows := make([]mapping.Row, len(changes))
	for i, c := range changes {
		rows[i] = c.Row
	}
	keys := keylock.Keys(s.ns, rows)
	if len(keys) == 0 {
		return nil
	}
	arg := int4Array(keys)
	deferred := false
	if err := s.conn.Raw(func(dc any) error {
		if c, ok := dc.(*lazyConn); ok {
			deferred = c.deferStatement("locking the batch's keys", lockKeysSQL, arg)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("PostgreSQL: locking the batch's keys: %w", Classify(err))
	}
	if deferred {
		return nil
	}
	if _, err := s.tx.ExecContext(ctx, lockKeysSQL, arg); err != nil {
		return fmt.Errorf("PostgreSQL: locking the batch's keys: %w", Classify(err))
	}
	return nil
}

// int4Array is keys as an int4[] literal: {k1,k2,...}.
func int4Array(keys []int32) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(k)))
	}
	b.WriteByte('}')
	return b.String()
}
