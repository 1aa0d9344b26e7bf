package transforms

import (
	"context"
	"errors"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
)

// deadLetters files failed records under skip/, retry/ or severe/ and
// keeps the DLQ counters. The writer and the shard assignment both use it,
// so a record fails the same way whichever stage finds the problem.
type deadLetters struct {
	w       dlq.Writer
	skipDir string
	// retryMode counts severe records as requeued (runMode retryDLQ,
	// retryAllDLQ) rather than as new severe errors.
	retryMode bool
}

// skipped reports the failures that are deliberate skips, not errors.
func skipped(err error) bool {
	return errors.Is(err, mapping.ErrTableNotAtSource) || errors.Is(err, routing.ErrSkip)
}

// write files the failures by class; it returns only once they are stored.
func (d deadLetters) write(ctx context.Context, failures []apply.Failure) error {
	if len(failures) == 0 {
		return nil
	}
	lines := map[string][][]byte{}
	var firstRetry error
	var severe []apply.Failure
	for _, fl := range failures {
		dir, msg := dlq.RetryDir, fl.Err.Error()
		// A retried record going anywhere but back to retry/ leaves the
		// records counted as waiting there.
		leaves := fl.Record.IsRetryRecord
		switch {
		case skipped(fl.Err):
			dir, msg = d.skipDir, "Skipped record from reverse replication"
			skippedRecords.Inc(ctx, 1)
		case failure.Of(fl.Err) == failure.Severe:
			dir = dlq.SevereDir
			if d.retryMode {
				requeued.Inc(ctx, 1)
			} else {
				severeErrors.Inc(ctx, 1)
			}
			severe = append(severe, fl)
		case !fl.Record.IsRetryRecord:
			// Counts records waiting in retry/: a retried record that
			// fails again is already counted.
			retryableRecords.Inc(ctx, 1)
		default:
			leaves = false
		}
		if dir == dlq.RetryDir && firstRetry == nil {
			firstRetry = fl.Err
		}
		if leaves && dir != dlq.RetryDir {
			retryableRecords.Inc(ctx, -1)
		}
		line, err := dlq.Encode(fl.Record, msg)
		if err != nil {
			return err
		}
		lines[dir] = append(lines[dir], line)
	}
	for dir, ls := range lines {
		if _, err := d.w.Write(ctx, dir, ls); err != nil {
			return err
		}
	}
	rowsToRetry.Inc(ctx, int64(len(lines[dlq.RetryDir])))
	// Logged once stored: a bundle failing before then is retried and
	// would log them again.
	for _, fl := range severe {
		logSevere(ctx, fl.Record, fl.Err.Error(), "")
	}
	// Retryable failures can be every record for a while (a parent row
	// not there yet): one line per batch, and only at Debug.
	if n := len(lines[dlq.RetryDir]); n > 0 {
		logs.Debug(ctx, "records to retry", "count", n, "first_error", firstRetry)
	}
	return nil
}

// logSevere logs a record going to severe/. Severe records wait for a
// person, who needs the table and key to find the row; they are rare enough
// to log one by one. reason says why when it is not the record's own
// error (e.g. retries exhausted).
func logSevere(ctx context.Context, r record.Record, err, reason string) {
	args := []any{"table", r.TableName, "keys", r.Mod.KeysJSON, "shard", r.Shard, "commit", r.CommitTimestamp}
	if reason != "" {
		args = append(args, "reason", reason)
	}
	logs.Warn(ctx, "record to severe", append(args, "error", err)...)
}
