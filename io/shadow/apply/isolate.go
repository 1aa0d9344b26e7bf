package apply

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// ApplyIsolating applies batch like Apply, but when the batch fails for a
// reason that may be one record's (MySQL rejects a statement, Spanner
// rejects a record's shadow key or shadow write, anything not known to be
// transient) it splits the batch in halves and retries each, down to single
// records, so one bad record does not hold back the others. The record that
// fails on its own comes back in Outcome.Failed with its error.
//
// Errors of the batch as a whole (WholeBatch: a lost MySQL connection,
// Spanner unavailable or aborting, the context ending) are not split: no
// record is at fault, and splitting would only multiply the failing calls.
// One exception: a batch whose MySQL work missed its deadline (MySQLTimeout)
// on a shard that still answers a ping is split, since its size, or one
// slow record, may be the cause, and a single record still too slow fails
// on its own; on a shard that does not answer the batch fails as a whole.
//
// Every record of batch comes back accounted for: applied, filtered, older
// than its shadow row (Stale, Superseded), or in Outcome.Failed. When a
// part of the batch fails as a whole, its records are in Failed with that
// error, the error is also returned (the shard or Spanner is in trouble),
// and the parts settled before it keep their outcome.
func (a *Applier) ApplyIsolating(ctx context.Context, db *sql.DB, batch []record.Record) (Outcome, error) {
	pr := a.prepareAll(ctx, batch)
	out, err := a.isolate(ctx, db, pr)
	return pr.settle(out, err)
}

// isolate is ApplyIsolating on records prepared once: the halves of a
// failed batch are not decoded, transformed or mapped again.
func (a *Applier) isolate(ctx context.Context, db *sql.DB, pr *preparation) (Outcome, error) {
	out, err := a.applyPrepared(ctx, db, pr)
	if err == nil {
		return out, nil
	}
	ps, _, perr := pr.wait()
	switch {
	case perr != nil:
		return Outcome{}, perr // settle raises the panic
	case len(ps) == 0:
		return Outcome{}, nil // every record failed to prepare: none is left to apply
	}
	if WholeBatch(ctx, err) && !slowShard(ctx, db, err) {
		return Outcome{Failed: failAllPrepared(ps, err)}, err
	}
	if len(ps) != len(pr.keyed) {
		// The attempt also read (or locked) the shadow rows of records
		// that then failed to map: one of those may be what failed, so
		// the others try again without them before any is blamed.
		return a.isolate(ctx, db, preparedAlready(ps))
	}
	if len(ps) == 1 {
		return Outcome{Failed: []Failure{{Record: *ps[0].rec, Err: err}}}, nil
	}
	half := len(ps) / 2
	left, err := a.isolate(ctx, db, preparedAlready(ps[:half]))
	if err != nil {
		left.Failed = append(left.Failed, failAllPrepared(ps[half:], err)...)
		return left, err
	}
	right, err := a.isolate(ctx, db, preparedAlready(ps[half:]))
	return Outcome{
		Applied:    append(left.Applied, right.Applied...),
		Filtered:   append(left.Filtered, right.Filtered...),
		Stale:      left.Stale + right.Stale,
		Superseded: left.Superseded + right.Superseded,
		Failed:     append(left.Failed, right.Failed...),
	}, err
}

func failAllPrepared(ps []prepared, err error) []Failure {
	out := make([]Failure, len(ps))
	for i, p := range ps {
		out[i] = Failure{Record: *p.rec, Err: err}
	}
	return out
}

// pingTimeout bounds the ping that tells a slow shard from a frozen one.
const pingTimeout = 2 * time.Second

// slowShard reports whether err is a batch that missed the MySQL deadline
// on a shard that answers a ping: the batch, or one of its records, is
// slow, and the shard is not gone. Such a batch is split like one MySQL
// refused, and a single record that is still too slow fails on its own.
func slowShard(ctx context.Context, db *sql.DB, err error) bool {
	var te *TimeoutError
	if ctx.Err() != nil || !errors.As(err, &te) || te.After != MySQLTimeout {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return db.PingContext(pctx) == nil
}

// FailAll fails every record of batch with err.
func FailAll(batch []record.Record, err error) []Failure {
	out := make([]Failure, len(batch))
	for i, r := range batch {
		out[i] = Failure{Record: r, Err: err}
	}
	return out
}

// WholeBatch reports whether err, returned by Apply, failed the batch as a
// whole rather than because of one of its records: the context ended, the
// MySQL connection failed (target.IsConnection, which includes lock
// wait timeouts and deadlocks), or Spanner failed the transaction for a
// transient reason (ABORTED once the client stops retrying it, UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED, a lost transaction or
// session). Any other error may be
// a record's (InvalidArgument for a key, FailedPrecondition for a NULL in a
// NOT NULL shadow key column, NotFound for a missing shadow table, a
// rejected MySQL statement), so the batch is split to find out; a
// transient error wrongly split costs calls, never records.
func WholeBatch(ctx context.Context, err error) bool {
	if ctx.Err() != nil || target.IsConnection(err) {
		return true
	}
	var be *target.BatchError
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
