package transforms

import (
	"context"
	"errors"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/sink"
	"github.com/revrepl/spanner-to-sourcedb/transforms/errclass"
	"github.com/revrepl/spanner-to-sourcedb/transforms/mapping"
	"github.com/revrepl/spanner-to-sourcedb/transforms/routing"
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
func (d deadLetters) write(ctx context.Context, failures []sink.Failure) error {
	if len(failures) == 0 {
		return nil
	}
	lines := map[string][][]byte{}
	for _, fl := range failures {
		dir, msg := dlq.RetryDir, fl.Err.Error()
		// A retried record going anywhere but back to retry/ leaves the
		// records counted as waiting there.
		leaves := fl.Record.IsRetryRecord
		switch {
		case skipped(fl.Err):
			dir, msg = d.skipDir, "Skipped record from reverse replication"
			skippedRecords.Inc(ctx, 1)
		case errclass.Classify(fl.Err) == errclass.Severe:
			dir = dlq.SevereDir
			if d.retryMode {
				requeued.Inc(ctx, 1)
			} else {
				severeErrors.Inc(ctx, 1)
			}
			log.Warnf(ctx, "record of table %s with keys %s to severe: %v", fl.Record.TableName, fl.Record.Mod.KeysJSON, fl.Err)
		case !fl.Record.IsRetryRecord:
			// Counts records waiting in retry/: a retried record that
			// fails again is already counted.
			retryableRecords.Inc(ctx, 1)
		default:
			leaves = false
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
	return nil
}
