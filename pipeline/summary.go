package pipeline

import (
	"fmt"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
)

// Summary is what a bounded run (endTimestamp set, or runMode=retryDLQ) did,
// from the job's counters. The unit of every count is in its name: a
// change record is one of the change stream's data change records (the
// changed rows of one table in one transaction); every other count is of
// rows (Spanner mods), the unit of the DLQ.
type Summary struct {
	ChangeRecordsRead int64 // changestream/records_read
	RowsRead          int64 // rows in those records: transforms/total_spanner_writes
	DLQRowsRead       int64 // rows read back from the DLQ: elementsReconsumedFromDeadLetterQueue
	RowsApplied       int64 // success_record_count
	RowsOlder         int64 // records_skipped_as_older: MySQL had the same or a newer version
	RowsSkipped       int64 // skipped_record_count: filed in the skip directory
	// RowsFiltered is fwd_migration_filtered_record_count plus every
	// filtered_events_<shard> (a custom transformation's).
	RowsFiltered int64
	RowsToRetry  int64 // rows_written_to_retry
	// RowsToSevere is severe_error_count plus
	// element_requeued_for_retry_count. Malformed DLQ lines moved to
	// severe/ are counted there already (malformed_dlq_lines counts them
	// again, on its own), so they are not added a second time.
	RowsToSevere int64
	// DLQFilesUnreadable are DLQ files that could not be read
	// (dlq_read_errors: permission denied, a storage error); they were
	// left in place, unprocessed.
	DLQFilesUnreadable int64
}

// SummaryOf reads the summary of a finished run; ok is false when the
// runner reported no counters (a dry run, or a job still running remotely).
func SummaryOf(result beam.PipelineResult) (s Summary, ok bool) {
	if result == nil {
		return Summary{}, false
	}
	counters := result.Metrics().AllMetrics().Counters()
	return summarize(counters), len(counters) > 0
}

// summarize adds up the committed values of the counters (see
// testrun.Counter for why not Result()).
func summarize(counters []metrics.CounterResult) Summary {
	var s Summary
	for _, c := range counters {
		n := c.Committed
		switch k := c.Key; {
		case k.Namespace == "changestream" && k.Name == "records_read":
			s.ChangeRecordsRead += n
		case k.Namespace != "transforms":
			if strings.HasPrefix(k.Name, "filtered_events_") {
				s.RowsFiltered += n
			}
		case k.Name == "total_spanner_writes":
			s.RowsRead += n
		case k.Name == "elementsReconsumedFromDeadLetterQueue":
			s.DLQRowsRead += n
		case k.Name == "success_record_count":
			s.RowsApplied += n
		case k.Name == "records_skipped_as_older":
			s.RowsOlder += n
		case k.Name == "skipped_record_count":
			s.RowsSkipped += n
		case k.Name == "fwd_migration_filtered_record_count":
			s.RowsFiltered += n
		case k.Name == "rows_written_to_retry":
			s.RowsToRetry += n
		case k.Name == "severe_error_count", k.Name == "element_requeued_for_retry_count":
			s.RowsToSevere += n
		case k.Name == "dlq_read_errors":
			s.DLQFilesUnreadable += n
		}
	}
	return s
}

// Line is the one line a bounded run ends with. dlq_files_unreadable
// is shown only when some DLQ file could not be read.
func (s Summary) Line() string {
	line := fmt.Sprintf("summary: change_records_read=%d rows_read=%d dlq_rows_read=%d rows_applied=%d rows_older=%d rows_skipped=%d rows_filtered=%d rows_to_retry=%d rows_to_severe=%d",
		s.ChangeRecordsRead, s.RowsRead, s.DLQRowsRead, s.RowsApplied, s.RowsOlder, s.RowsSkipped, s.RowsFiltered, s.RowsToRetry, s.RowsToSevere)
	if s.DLQFilesUnreadable > 0 {
		line += fmt.Sprintf(" dlq_files_unreadable=%d", s.DLQFilesUnreadable)
	}
	return line
}
