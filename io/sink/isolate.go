package sink

import (
	"context"
	"database/sql"
	"errors"

	"github.com/revrepl/spanner-to-sourcedb/transforms/errclass"
	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
)

// ApplyIsolating applies batch like Apply, but when MySQL rejects the batch
// it splits it in halves and retries each, down to single records, so one
// bad record does not hold back the others. The record MySQL rejects on its
// own comes back in Outcome.Failed with MySQL's error. Other errors
// (Spanner unavailable, a lost connection, a concurrent writer) are
// returned: retry the batch.
func (a *Applier) ApplyIsolating(ctx context.Context, db *sql.DB, batch []record.Record) (Outcome, error) {
	out, err := a.Apply(ctx, db, batch)
	var be *BatchError
	if err == nil || !errors.As(err, &be) || errclass.IsConnectionError(err) {
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
