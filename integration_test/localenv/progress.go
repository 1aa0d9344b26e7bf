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

// Progress is what the pipeline did so far, from its metrics.
type Progress struct {
	Read    int64 // data change records read from the change stream
	Applied int64 // records written to MySQL
	// Older counts records not written because MySQL already has the
	// row's newer state: a newer change of the key in the same batch, or
	// one applied before (a re-read or a retried record).
	Older int64
	// Skipped counts records not applied by design: tables absent at the
	// source (filed in the skip directory), forward-migration writes.
	Skipped int64
	InRetry int64 // records waiting in retry/ now
	Severe  int64 // records sent to severe/
	// Lag is how far the applied watermark (every change before it is in
	// MySQL or the DLQ) trails the clock; zero until the first is stored.
	Lag time.Duration
}

func (p Progress) String() string {
	lag := "-"
	if p.Lag > 0 {
		lag = p.Lag.Round(100 * time.Millisecond).String()
	}
	return fmt.Sprintf("read %d  applied %d  older %d  skipped %d  DLQ: retry/ %d severe/ %d  lag %s",
		p.Read, p.Applied, p.Older, p.Skipped, p.InRetry, p.Severe, lag)
}

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
		"records_read":                        &out.Read,
		"success_record_count":                &out.Applied,
		"records_skipped_as_older":            &out.Older,
		"skipped_record_count":                &out.Skipped,
		"fwd_migration_filtered_record_count": &out.Skipped,
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
