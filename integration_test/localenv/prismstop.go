package localenv

import (
	"context"
	"fmt"
	"time"

	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
)

// Stop cancels every job of the job service that has not ended and waits
// until each has, or ctx ends (an error naming the jobs still running).
func (p *Prism) Stop(ctx context.Context) error {
	jobs, err := p.jobs.GetJobs(ctx, &jobpb.GetJobsRequest{})
	if err != nil {
		return fmt.Errorf("listing the jobs: %w", err)
	}
	var running []string
	for _, info := range jobs.GetJobInfo() {
		if ended(info.GetState()) {
			continue
		}
		if _, err := p.jobs.Cancel(ctx, &jobpb.CancelJobRequest{JobId: info.GetJobId()}); err != nil {
			return fmt.Errorf("cancelling job %s: %w", info.GetJobId(), err)
		}
		running = append(running, info.GetJobId())
	}
	for _, id := range running {
		for {
			st, err := p.jobs.GetState(ctx, &jobpb.GetJobStateRequest{JobId: id})
			if err == nil && ended(st.GetState()) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("job %s still running after it was cancelled: %w", id, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// ended reports a state a job never leaves.
func ended(s jobpb.JobState_Enum) bool {
	switch s {
	case jobpb.JobState_DONE, jobpb.JobState_FAILED, jobpb.JobState_CANCELLED, jobpb.JobState_DRAINED, jobpb.JobState_UPDATED:
		return true
	}
	return false
}
