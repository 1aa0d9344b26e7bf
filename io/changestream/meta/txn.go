package meta

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
)

// lostTransaction reports a read-write transaction that the server dropped
// before it committed, so that running it again is safe. Production
// Spanner reports contention as ABORTED, which the client retries by
// itself; the emulator runs one read-write transaction at a time and
// answers the loser with these errors instead. An expired transaction
// (idle too long) is also reported as "not found".
func lostTransaction(err error) bool {
	desc := spanner.ErrDesc(err)
	switch spanner.ErrCode(err) {
	case codes.Aborted:
		return true
	case codes.NotFound:
		return strings.Contains(desc, "Transaction not found")
	case codes.FailedPrecondition:
		// The emulator rolls back a transaction that another one
		// displaced; its next read says so. Our transactions never read
		// after committing, so the transaction did not commit.
		return strings.Contains(desc, "Invalid transaction ID") ||
			strings.Contains(desc, "after it has been committed or rolledback")
	}
	return false
}

// maxTxnAttempts bounds the re-runs of a lost transaction; contention
// that lasts longer is left to the caller's own retry policy.
const maxTxnAttempts = 20

// txn runs fn in a read-write transaction, again when the transaction was
// lost. Every transaction here reads what it decides on inside fn, so a
// re-run decides afresh.
func (t Table) txn(ctx context.Context, fn func(context.Context, *spanner.ReadWriteTransaction) error) error {
	_, err := t.txnAt(ctx, fn)
	return err
}

// txnAt is txn that also returns the commit time.
func (t Table) txnAt(ctx context.Context, fn func(context.Context, *spanner.ReadWriteTransaction) error) (time.Time, error) {
	for attempt := 1; ; attempt++ {
		at, err := t.Client.ReadWriteTransaction(ctx, fn)
		if err == nil || !lostTransaction(err) || attempt == maxTxnAttempts {
			return at, err
		}
		// Jitter keeps two losers from colliding again.
		pause := time.Duration(rand.Int64N(int64(10*time.Millisecond) << min(attempt, 5)))
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// apply writes mutations in a transaction of their own, like
// Client.Apply, again when the transaction was lost.
func (t Table) apply(ctx context.Context, muts []*spanner.Mutation) error {
	return t.txn(ctx, func(_ context.Context, tx *spanner.ReadWriteTransaction) error {
		return tx.BufferWrite(muts)
	})
}
