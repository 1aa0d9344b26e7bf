package transforms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
)

// DeadLetterConfig is the dead-letter queue: one value, given to every
// stage that files records in it or reads them back.
type DeadLetterConfig struct {
	Root      string // deadLetterQueueDirectory
	SkipDir   string // skipDirectoryName
	FilterDir string // filterEventsDirectoryName
	// RetryMode (runMode retryDLQ and retryAllDLQ) counts records sent
	// back to severe/ as requeued rather than as new severe errors.
	RetryMode  bool
	MaxRetries int64 // dlqMaxRetryCount
}

// The DLQ counters, all kept here (names as the Java template's where it
// has them).
var (
	// retryableRecords counts the records waiting in retry/.
	retryableRecords = beam.NewCounter("transforms", "retryable_record_count")
	skippedRecords   = beam.NewCounter("transforms", "skipped_record_count")
	severeErrors     = beam.NewCounter("transforms", "severe_error_count")
	requeued         = beam.NewCounter("transforms", "element_requeued_for_retry_count")
	// rowsToRetry counts rows written to retry/, each time one is (unlike
	// retryable_record_count, which counts the rows waiting there).
	rowsToRetry     = beam.NewCounter("transforms", "rows_written_to_retry")
	reconsumed      = beam.NewCounter("transforms", "elementsReconsumedFromDeadLetterQueue")
	failedDeletions = beam.NewCounter("transforms", "failedDeletions")
	malformedLines  = beam.NewCounter("transforms", "malformed_dlq_lines")
	// dlqReadErrors counts DLQ files that could not be read (other than
	// not found): they stay where they are, for the next poll or run.
	dlqReadErrors = beam.NewCounter("transforms", "dlq_read_errors")
)

// deadLetters is the one owner of the DLQ's fates: it files failed records
// under skip/, retry/ or severe/, files filtered changes, sends exhausted
// and malformed lines of a re-read file to severe/, and keeps the DLQ
// counters. Every stage uses it, so a record fails the same way whichever
// stage finds the problem.
type deadLetters struct {
	DeadLetterConfig
	w dlq.Writer
}

func newDeadLetters(c DeadLetterConfig) deadLetters {
	return deadLetters{DeadLetterConfig: c, w: dlq.Writer{Root: c.Root}}
}

// skipped reports the failures that are deliberate skips, not errors.
func skipped(err error) bool {
	return errors.Is(err, mapping.ErrTableNotAtSource) || errors.Is(err, routing.ErrSkip)
}

// file files the failures by class; it returns only once they are stored.
func (d deadLetters) file(ctx context.Context, failures []apply.Failure) error {
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
			dir, msg = d.SkipDir, "Skipped record from reverse replication"
			skippedRecords.Inc(ctx, 1)
		case failure.Of(fl.Err) == failure.Severe:
			dir = dlq.SevereDir
			if d.RetryMode {
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

// settled takes the retried records of a written batch that no longer fail
// (applied, filtered, or dropped as older) off retryable_record_count:
// they left retry/. Those failing again are counted by file.
func (d deadLetters) settled(ctx context.Context, batch []record.Record, failed []apply.Failure) {
	retried := 0
	for _, r := range batch {
		if r.IsRetryRecord {
			retried++
		}
	}
	for _, fl := range failed {
		if fl.Record.IsRetryRecord {
			retried--
		}
	}
	retryableRecords.Inc(ctx, -int64(retried))
}

// filtered keeps the changes the custom transformation filtered out under
// filterEventsDirectoryName (the Java template counted and dropped them).
func (d deadLetters) filtered(ctx context.Context, shard string, recs []record.Record) error {
	if len(recs) == 0 {
		return nil
	}
	beam.NewCounter(shard, "filtered_events_"+shard).Inc(ctx, int64(len(recs)))
	lines := make([][]byte, len(recs))
	for i, r := range recs {
		l, err := dlq.Encode(r, "Filtered record from custom transformation in reverse replication")
		if err != nil {
			return err
		}
		lines[i] = l
	}
	_, err := d.w.Write(ctx, d.FilterDir, lines)
	return err
}

// severeLine is a line of a re-read DLQ file bound for severe/: a record
// out of retries (Record set, Why its last error) or a malformed line (Line,
// Why what is wrong with it).
type severeLine struct {
	N      int // 1-based line number
	Line   []byte
	Record *record.Record
	Why    string
}

// exhausted sends what a re-read DLQ file cannot retry to severe/, in file
// order: records out of retries (they leave retry/) and malformed lines,
// each kept inside a line that says what is wrong with it. It returns once
// they are stored; the only writer of severe/ besides file.
func (d deadLetters) exhausted(ctx context.Context, path string, bad []severeLine) error {
	if len(bad) == 0 {
		return nil
	}
	lines := make([][]byte, len(bad))
	for i, b := range bad {
		if b.Record == nil {
			malformedLines.Inc(ctx, 1)
			lines[i] = malformedLine(b.Line, fmt.Sprintf("%s line %d: %s", path, b.N, b.Why))
			continue
		}
		retryableRecords.Inc(ctx, -1) // no longer waiting in retry/
		l, err := dlq.Encode(*b.Record, b.Why)
		if err != nil {
			return err
		}
		lines[i] = l
	}
	if _, err := d.w.Write(ctx, dlq.SevereDir, lines); err != nil {
		return err
	}
	if d.RetryMode {
		requeued.Inc(ctx, int64(len(lines)))
	} else {
		severeErrors.Inc(ctx, int64(len(lines)))
	}
	for _, b := range bad {
		if b.Record != nil {
			logSevere(ctx, *b.Record, b.Record.LastError, "retries exhausted")
		}
	}
	for _, b := range bad {
		if b.Record == nil {
			logs.Warn(ctx, "malformed DLQ line to severe", "file", path, "line", b.N, "error", b.Why)
		}
	}
	return nil
}

// malformedLine keeps a line that is not a DLQ record as it is, inside a
// DLQ line that says what is wrong with it: a person can fix and move it.
func malformedLine(line []byte, why string) []byte {
	var msg any = string(line)
	if json.Valid(line) {
		msg = json.RawMessage(line)
	}
	b, _ := json.Marshal(map[string]any{"message": msg, "error_message": why})
	return b
}

// fileAndReport files the failures of a bundle in the DLQ and then reports
// those read from DLQ files done, for DeleteConsumed: their outcome (back
// in the DLQ) is committed.
func (d deadLetters) fileAndReport(ctx context.Context, failed []apply.Failure, done func(beam.EventTime, string, FileCount)) error {
	if err := d.file(ctx, failed); err != nil {
		return err
	}
	recs := make([]record.Record, len(failed))
	for i, fl := range failed {
		recs[i] = fl.Record
	}
	reportDone(newestEventTime(recs), recs, done)
	return nil
}
