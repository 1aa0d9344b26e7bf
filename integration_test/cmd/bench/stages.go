package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
)

// stageTimes summarises where an end-to-end run's pipeline spent its time,
// from the runner's metrics: the writer's batches (how many, how large on
// average) and each step's busy time (start, process and finish bundle),
// largest first. It is the per-stage profile of the run; the CPU profile
// (--cpuprofile) splits the same time by function.
func stageTimes(res metrics.Results) string {
	var b strings.Builder
	for _, d := range res.Query(func(r metrics.SingleResult) bool { return r.Name() == "write_batch_size" }).Distributions() {
		v := d.Result()
		if v.Count > 0 {
			fmt.Fprintf(&b, "writer batches %d, mean %d records (min %d, max %d); ", v.Count, v.Sum/v.Count, v.Min, v.Max)
		}
	}
	type step struct {
		name string
		busy time.Duration
	}
	byName := map[string]time.Duration{}
	for _, m := range res.AllMetrics().Msecs() {
		v := m.Result()
		byName[shortStep(m.Key.Step)] += v.Total
	}
	var steps []step
	for n, d := range byName {
		if d >= 100*time.Millisecond {
			steps = append(steps, step{n, d})
		}
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].busy > steps[j].busy })
	b.WriteString("busy time by step:")
	for _, s := range steps {
		fmt.Fprintf(&b, " %s %.1fs,", s.name, s.busy.Seconds())
	}
	return strings.TrimSuffix(b.String(), ",")
}

// shortStep keeps the last part of a step's scoped name.
func shortStep(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 && i < len(s)-1 {
		return s[i+1:]
	}
	return s
}
