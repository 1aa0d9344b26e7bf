package target

import "context"

// KeyLocker is a Session whose transactions must lock the keys of their
// changes before writing them, so that two writers of a key wait for each
// other whatever the row's state (the apply protocol of io/shadow/apply
// relies on it; see its package doc).
//
// InnoDB needs none: a row a transaction inserted exists, uncommitted,
// and carries the transaction's lock, so a DELETE of its key waits for
// that transaction to end. PostgreSQL's DELETE (and UPDATE) wait only for
// the rows they see, and an uncommitted insert is invisible to them: a
// DELETE of the key returns at once, deleting nothing, and the insert
// then commits after it. A PostgreSQL session implements KeyLocker.
type KeyLocker interface {
	// LockKeys locks the keys of changes until the transaction ends,
	// waiting for any other transaction that locked one of them: the
	// statements that follow see what those committed. It is called
	// before the changes are written, in the same transaction. It may
	// send the locks with the transaction's next statement, which the
	// server then runs only once it holds them (PostgreSQL does).
	LockKeys(ctx context.Context, changes []Change) error
}
