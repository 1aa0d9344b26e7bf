package localenv

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/metricsx"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
)

// Prism is an in-process prism job service whose running jobs' metrics can
// be read while they run: the same counters Dataflow shows, live.
type Prism struct {
	jobs jobpb.JobServiceClient
}

// StartPrism starts the job service and points this process's Beam runner
// at it; call it before running a pipeline with --runner=prism.
func StartPrism(ctx context.Context) (*Prism, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	jobs, err := prism.CreateJobServer(ctx, prism.Options{Port: port})
	if err != nil {
		return nil, fmt.Errorf("starting prism: %w", err)
	}
	*jobopts.Endpoint = fmt.Sprintf("localhost:%d", port)
	if *jobopts.EnvironmentType == "" {
		*jobopts.EnvironmentType = "loopback"
	}
	return &Prism{jobs: jobs}, nil
}

// Progress is what the pipeline did so far, from its metrics. Every count
// is of row changes (a Spanner mod: one row inserted, updated or deleted),
// the unit the writer works in; a change stream's data change record can
// hold several of them.
type Progress struct {
	Read    int64 // row changes read from the change stream (total_spanner_writes)
	Applied int64 // row changes written to MySQL (success_record_count)
	// Older counts row changes not written because MySQL already has the
	// row's newer state: a newer change of the key in the same batch, or
	// one applied before (a re-read or a retried change).
	Older int64
	// Filtered counts row changes not applied by design: tables absent at
	// the source (filed in the skip directory), forward-migration writes.
	Filtered int64
	InRetry  int64 // row changes waiting in the DLQ's retry/ now
	Severe   int64 // row changes sent to the DLQ's severe/
	// Lag is how far the applied watermark (every change before it is in
	// MySQL or the DLQ) trails the clock; zero until the first is stored.
	Lag time.Duration
}

// String renders the pipeline's counts with their unit, e.g.
// "row changes: read 640, applied 560, older 70, filtered 0, DLQ retry/ 2,
// severe/ 0 | lag 1.2s".
func (p Progress) String() string {
	return "row changes: " + p.counts()
}

// Line is the demo's progress line: elapsed time, what the workload
// committed to Spanner (row changes, and the transactions holding them)
// and what the pipeline did with them, all in row changes, e.g.
// "[ 45s] row changes: written 640 (512 txns), read 640, applied 560,
// older 70, filtered 0, DLQ retry/ 2, severe/ 0 | lag 1.2s".
func (p Progress) Line(elapsed time.Duration, written, txns int64) string {
	return fmt.Sprintf("[%3.0fs] row changes: written %d (%d txns), %s", elapsed.Seconds(), written, txns, p.counts())
}

func (p Progress) counts() string {
	lag := "-"
	if p.Lag > 0 {
		lag = p.Lag.Round(100 * time.Millisecond).String()
	}
	return fmt.Sprintf("read %d, applied %d, older %d, filtered %d, DLQ retry/ %d, severe/ %d | lag %s",
		p.Read, p.Applied, p.Older, p.Filtered, p.InRetry, p.Severe, lag)
}

// ProgressLegend explains the words of Progress.String, for a reader who
// sees the line for the first time.
const ProgressLegend = `Progress, every count in row changes (one row inserted, updated or deleted in Spanner):
  written   committed to Spanner by the demo's workload (and in how many transactions)
  read      read from the change stream by the pipeline
  applied   written to MySQL
  older     not written: MySQL already had a newer state of the row (a later change of the key came first)
  filtered  not written by design (table absent in MySQL, forward-migration writes)
  retry/    waiting in the dead-letter queue's retry/ directory (e.g. an order whose customer is not there yet)
  severe/   given up, in the dead-letter queue's severe/ directory
  lag       how far the applied watermark (everything before it is in MySQL or the DLQ) trails the clock`

// Progress reads the metrics of the most recent job.
func (p *Prism) Progress(ctx context.Context) (Progress, error) {
	jobs, err := p.jobs.GetJobs(ctx, &jobpb.GetJobsRequest{})
	if err != nil {
		return Progress{}, err
	}
	if len(jobs.GetJobInfo()) == 0 {
		return Progress{}, nil
	}
	info := jobs.GetJobInfo()[len(jobs.GetJobInfo())-1]
	job := info.GetJobId()
	ended := info.GetState() == jobpb.JobState_DONE || info.GetState() == jobpb.JobState_FAILED || info.GetState() == jobpb.JobState_CANCELLED
	m, err := p.jobs.GetJobMetrics(ctx, &jobpb.GetJobMetricsRequest{JobId: job})
	if err != nil {
		return Progress{}, err
	}
	res := metricsx.FromMonitoringInfos(nil, m.GetMetrics().GetAttempted(), m.GetMetrics().GetCommitted())
	var out Progress
	sums := map[string]*int64{
		"total_spanner_writes":                &out.Read,
		"success_record_count":                &out.Applied,
		"records_skipped_as_older":            &out.Older,
		"skipped_record_count":                &out.Filtered,
		"fwd_migration_filtered_record_count": &out.Filtered,
		"severe_error_count":                  &out.Severe,
	}
	for _, c := range res.AllMetrics().Counters() {
		if dst, ok := sums[c.Key.Name]; ok {
			*dst += max(c.Attempted, c.Committed)
		}
		// It goes down as retried records leave retry/, so the largest
		// value is not the latest; once the job ended, the committed
		// value is final (even when 0, which Result reads as unset).
		if c.Key.Name == "retryable_record_count" {
			if ended {
				out.InRetry += c.Committed
			} else {
				out.InRetry += c.Result()
			}
		}
	}
	for _, g := range res.AllMetrics().Gauges() {
		if g.Key.Name != "applied_watermark_ms" {
			continue
		}
		v := g.Attempted
		if g.Committed.Timestamp.After(v.Timestamp) {
			v = g.Committed
		}
		if v.Value > 0 {
			out.Lag = max(time.Since(time.UnixMilli(v.Value)), 0)
		}
	}
	return out, nil
}
