package pipeline

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

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
	launch := time.Now()
	files, err := dlq.List(ctx, root, dlq.SevereDir)
	if err != nil {
		return p, fmt.Errorf("deadLetterQueueDirectory %s: %w", root, err)
	}
	for _, f := range files {
		// Files written after the launch are this job's own re-failures.
		if f.ModTime.Before(launch) {
			p.SevereFiles = append(p.SevereFiles, f.Path)
		}
	}
	sort.Strings(p.SevereFiles)
	return p, nil
}
