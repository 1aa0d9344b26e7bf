package sink

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/transforms/errclass"
	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
)

// ApplyIsolating applies batch like Apply, but when the batch fails for a
// reason that may be one record's (MySQL rejects a statement, Spanner
// rejects a record's shadow key or shadow write, anything not known to be
// transient) it splits the batch in halves and retries each, down to single
// records, so one bad record does not hold back the others. The record that
// fails on its own comes back in Outcome.Failed with its error.
//
// Errors of the batch as a whole (WholeBatch: a lost MySQL connection,
// Spanner unavailable or aborting, the context ending) are returned: no
// record is at fault, and splitting would only multiply the failing calls.
// Retry the batch. Nothing is lost either way: every record of batch is
// applied, older than its shadow row, in Outcome.Failed, or, on an error,
// still to be retried by the caller (halves already applied are then
// dropped as older by the retry).
func (a *Applier) ApplyIsolating(ctx context.Context, db *sql.DB, batch []record.Record) (Outcome, error) {
	out, err := a.Apply(ctx, db, batch)
	if err == nil || WholeBatch(ctx, err) {
		return out, err
	}
	if len(batch) == 1 {
		return Outcome{Failed: append(out.Failed, Failure{Record: batch[0], Err: err})}, nil
	}
	half := len(batch) / 2
	left, err := a.ApplyIsolating(ctx, db, batch[:half])
	if err != nil {
		return Outcome{}, err
	}
	right, err := a.ApplyIsolating(ctx, db, batch[half:])
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{
		Applied:    append(left.Applied, right.Applied...),
		Filtered:   append(left.Filtered, right.Filtered...),
		Stale:      left.Stale + right.Stale,
		Superseded: left.Superseded + right.Superseded,
		Failed:     append(left.Failed, right.Failed...),
	}, nil
}

// WholeBatch reports whether err, returned by Apply, failed the batch as a
// whole rather than because of one of its records: the context ended, the
// MySQL connection failed (errclass.IsConnectionError, which includes lock
// wait timeouts and deadlocks), or Spanner failed the transaction for a
// transient reason (ABORTED once the client stops retrying it, UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED, a lost transaction or
// session). Any other error may be
// a record's (InvalidArgument for a key, FailedPrecondition for a NULL in a
// NOT NULL shadow key column, NotFound for a missing shadow table, a
// rejected MySQL statement), so the batch is split to find out; a
// transient error wrongly split costs calls, never records.
func WholeBatch(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errclass.IsConnectionError(err) {
		return true
	}
	var be *BatchError
	if errors.As(err, &be) {
		return false // MySQL rejected a statement: its content is at fault
	}
	switch spanner.ErrCode(err) {
	case codes.Aborted, codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Canceled:
		return true
	case codes.NotFound, codes.FailedPrecondition:
		return lostTransaction(err)
	}
	return false
}

// lostTransactionMessages are how Spanner, and the emulator in place of
// ABORTED, say that the transaction or its session is gone (expired, or
// wounded by a concurrent writer of the same shadow rows). The codes,
// NOT_FOUND and FAILED_PRECONDITION, are shared with failures of a record
// (a missing shadow table, a NULL in a NOT NULL key column), so the
// message tells them apart.
var lostTransactionMessages = []string{"transaction not found", "session not found", "invalid transaction id"}

func lostTransaction(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, m := range lostTransactionMessages {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}
