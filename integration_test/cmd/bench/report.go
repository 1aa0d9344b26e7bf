package main

import (
	"fmt"
	"time"
)

// summary is the last line of a bench run: what a script reads.
type summary struct {
	batch1Ratio              float64 // writer at --batch ÷ writer at batch size 1
	shadowCeilingRatio       float64 // writer at --batch ÷ its Spanner side alone
	sourceShadowCeilingRatio float64 // writer with the shadow in the target ÷ raw upserts
	ceilingRatio             float64 // writer at --batch ÷ raw upserts
	p99Lag, maxLag           float64 // seconds, of the --rate run; -1 when not run
	maxRate                  int     // changes/s; -1 when the ramp did not run
	keptUp                   bool    // the --rate run was sustained
}

// notRun stands for the end-to-end figures of a run that skipped them.
const notRun = -1

// String is the last line, its fields in a fixed order.
func (s summary) String() string {
	return fmt.Sprintf("batch1_ratio=%.2f shadow_ceiling_ratio=%.2f source_shadow_ceiling_ratio=%.2f ceiling_ratio=%.2f "+
		"p99_lag_s=%.2f max_lag_s=%.2f max_rate=%d kept_up=%t",
		s.batch1Ratio, s.shadowCeilingRatio, s.sourceShadowCeilingRatio, s.ceilingRatio, s.p99Lag, s.maxLag, s.maxRate, s.keptUp)
}

// e2eHeader heads the table of end-to-end runs; e2eRow is one run.
func e2eHeader(d time.Duration) string {
	return fmt.Sprintf("\nend to end, %s of changes per run (sustained: p99 lag < %.0fs, all applied, committed >= %.0f%% of asked)\n"+
		"%-6s %9s %12s %10s %10s %8s %8s %8s  %s",
		d, maxP99Lag, 100*minCommittedFrac,
		"run", "asked/s", "committed/s", "committed", "applied", "p50_s", "p99_s", "max_s", "sustained")
}

func e2eRow(label string, r e2eResult, ok bool) string {
	return fmt.Sprintf("%-6s %9d %12.0f %10d %10d %8.2f %8.2f %8.2f  %t",
		label, r.rate, r.committedRate(), r.committed, r.applied, r.p50, r.p99, r.max, ok)
}
