package target

import "context"

// commitWithKey marks a context for the last statement of a transaction.
type commitWithKey struct{}

// CommitWith returns ctx for the last statement of a transaction: a target
// may send the commit with that statement, in the same round trip (MySQL
// does: io/target/mysql, lazybegin.go), and the session's Commit then has
// nothing left to send. The caller still calls Commit, which ends the
// transaction on the client (or commits it, where the target did not).
// When such a statement fails, nothing of the transaction is committed,
// unless the failure is the connection's: then, as for any commit whose
// answer was lost, the commit may or may not have happened.
//
// Writer.Write passes it to its last statement only, and to none when
// that is a unique-keyed step (written row by row, with savepoints).
func CommitWith(ctx context.Context) context.Context {
	return context.WithValue(ctx, commitWithKey{}, true)
}

// CommitsWith tells whether ctx is one of CommitWith.
func CommitsWith(ctx context.Context) bool {
	v, _ := ctx.Value(commitWithKey{}).(bool)
	return v
}

// withoutCommit is ctx with CommitWith undone.
func withoutCommit(ctx context.Context) context.Context {
	if !CommitsWith(ctx) {
		return ctx
	}
	return context.WithValue(ctx, commitWithKey{}, false)
}
