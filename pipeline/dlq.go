package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// deadLetterConfig is the one DLQ value every stage is given. Outside the
// regular run mode (no change stream), records sent back to severe/ are
// counted as requeued rather than as new severe errors.
func deadLetterConfig(cfg *params.Config, root string, readStream bool) transforms.DeadLetterConfig {
	return transforms.DeadLetterConfig{
		Root: root, SkipDir: cfg.SkipDirectoryName, FilterDir: cfg.FilterEventsDirectoryName,
		RetryMode: !readStream, MaxRetries: cfg.DlqMaxRetryCount,
	}
}

type dlqPlan struct {
	RetryPoll   time.Duration
	SevereFiles []string
}

// planDLQ decides what the run mode re-reads from the dead-letter queue:
//
//   - regular: retry/ every dlqRetryMinutes, beside the change stream;
//   - retryDLQ: the severe/ files older than this launch, once, as a batch
//     job (safe beside a regular job: it never touches retry/);
//   - retryAllDLQ: both, without the change stream (never beside a regular
//     job: both would consume retry/).
func planDLQ(ctx context.Context, cfg *params.Config, root string, env Env) (dlqPlan, error) {
	var p dlqPlan
	if cfg.RunMode != params.RunModeRetryDLQ {
		p.RetryPoll = time.Duration(cfg.DlqRetryMinutes) * time.Minute
		if env.RetryPoll > 0 {
			p.RetryPoll = env.RetryPoll
		}
	}
	if cfg.RunMode == params.RunModeRegular {
		return p, nil
	}
	// Files written after the launch are this job's own re-failures.
	files, err := dlq.SevereFilesBefore(ctx, root, time.Now())
	if err != nil {
		return p, fmt.Errorf("deadLetterQueueDirectory %s: %w", root, err)
	}
	p.SevereFiles = files
	return p, nil
}
