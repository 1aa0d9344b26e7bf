package pipeline

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
)

func TestSummary(t *testing.T) {
	c := func(ns, name string, committed int64) metrics.CounterResult {
		return metrics.CounterResult{Committed: committed, Attempted: committed + 100, Key: metrics.StepKey{Step: "s", Namespace: ns, Name: name}}
	}
	got := summarize([]metrics.CounterResult{
		c("changestream", "records_read", 3),
		c("changestream", "heartbeats", 50),
		c("transforms", "total_spanner_writes", 7),
		c("transforms", "total_spanner_writes", 1), // a second step
		c("transforms", "elementsReconsumedFromDeadLetterQueue", 2),
		c("transforms", "success_record_count", 4),
		c("transforms", "records_skipped_as_older", 1),
		c("transforms", "skipped_record_count", 1),
		c("transforms", "fwd_migration_filtered_record_count", 1),
		c("shard1", "filtered_events_shard1", 2),
		c("shard1", "records_written_to_source_shard1", 4),
		c("transforms", "rows_written_to_retry", 3),
		c("transforms", "retryable_record_count", 2),
		c("transforms", "severe_error_count", 1),
		c("transforms", "element_requeued_for_retry_count", 1),
		c("transforms", "malformed_dlq_lines", 1), // one of the severe rows above
	})
	want := "summary: change_records_read=3 rows_read=8 dlq_rows_read=2 rows_applied=4 rows_older=1 rows_skipped=1 rows_filtered=3 rows_to_retry=3 rows_to_severe=2"
	if got.Line() != want {
		t.Errorf("got  %s\nwant %s", got.Line(), want)
	}
	if _, ok := SummaryOf(nil); ok {
		t.Error("a run without a result has a summary")
	}
}

// dlq_files_unreadable shows only when a DLQ file could not be read.
func TestSummaryUnreadableDLQFiles(t *testing.T) {
	got := summarize([]metrics.CounterResult{
		{Committed: 2, Key: metrics.StepKey{Step: "a", Namespace: "transforms", Name: "dlq_read_errors"}},
		{Committed: 1, Key: metrics.StepKey{Step: "b", Namespace: "transforms", Name: "dlq_read_errors"}},
	})
	want := "summary: change_records_read=0 rows_read=0 dlq_rows_read=0 rows_applied=0 rows_older=0 rows_skipped=0 rows_filtered=0 rows_to_retry=0 rows_to_severe=0 dlq_files_unreadable=3"
	if got.Line() != want {
		t.Errorf("got  %s\nwant %s", got.Line(), want)
	}
}
