package target

import (
	"context"
	"sync/atomic"
)

// commitWithKey marks a context for the last statement of a transaction;
// its value is a *commitMark, nil where Writer.Write took the mark off.
type commitWithKey struct{}

// commitMark records that a statement sent the commit with it.
type commitMark struct{ committed atomic.Bool }

// CommitWith returns ctx for the last statement of a transaction: a target
// may send the commit with that statement, in the same round trip (MySQL
// does: io/target/mysql, lazybegin.go), and say so (Committed). The
// caller still calls the session's Commit, which then only ends the
// transaction on the client (or commits it, where the target did not).
// When such a statement fails, nothing of the transaction is committed,
// unless the failure is the connection's: then, as for any commit whose
// answer was lost, the commit may or may not have happened.
//
// Writer.Write passes it to its last statement only, and to none when
// that is a unique-keyed step (written row by row, with savepoints).
func CommitWith(ctx context.Context) context.Context {
	return context.WithValue(ctx, commitWithKey{}, &commitMark{})
}

// CommitsWith tells whether ctx is one of CommitWith.
func CommitsWith(ctx context.Context) bool {
	m, _ := ctx.Value(commitWithKey{}).(*commitMark)
	return m != nil
}

// Committed records, for ctx of CommitWith, that its statement committed
// the transaction; CommittedWith(ctx) then tells it.
func Committed(ctx context.Context) {
	if m, _ := ctx.Value(commitWithKey{}).(*commitMark); m != nil {
		m.committed.Store(true)
	}
}

// CommittedWith tells whether a statement run with ctx (of CommitWith)
// committed the transaction.
func CommittedWith(ctx context.Context) bool {
	m, _ := ctx.Value(commitWithKey{}).(*commitMark)
	return m != nil && m.committed.Load()
}

// withoutCommit is ctx with CommitWith undone.
func withoutCommit(ctx context.Context) context.Context {
	if !CommitsWith(ctx) {
		return ctx
	}
	return context.WithValue(ctx, commitWithKey{}, (*commitMark)(nil))
}
