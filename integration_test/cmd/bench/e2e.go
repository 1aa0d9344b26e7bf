package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// e2eBaseKey is the first key of the first end-to-end run; run k starts
// e2eRunKeys further on, so each run's rows are its own (the poller reads
// from its run's first key up) and never clash with the writer
// measurements' keys, which count from 1.
const (
	e2eBaseKey = 1_000_000_000
	e2eRunKeys = 100_000_000
)

type e2eResult struct {
	rate               int // asked, changes/s
	committed, applied int
	generatorSeconds   float64
	p50, p99, max      float64
	// stages is the run's per-stage profile (stageTimes).
	stages string
}

// committedRate is what the generator committed, in changes/s.
func (r e2eResult) committedRate() float64 {
	if r.generatorSeconds <= 0 {
		return 0
	}
	return float64(r.committed) / r.generatorSeconds
}

// endToEnd commits rate changes per second to Spanner for d while the
// pipeline runs on prism, and measures, per row, the time from its commit
// timestamp to its first sighting in the target (polled every 100 ms).
// run numbers the runs of one bench: each has its own Spanner database
// (so its own change stream and partition metadata table) and keys.
func (e *env) endToEnd(ctx context.Context, run, rate int, d time.Duration) (e2eResult, error) {
	mainID := fmt.Sprintf("benchmain%s%d", e.id, run)
	base := int64(e2eBaseKey + run*e2eRunKeys)
	mainPath, err := e.emu.CreateDatabase(ctx, mainID, false, benchSpannerDDL)
	if err != nil {
		return e2eResult{}, err
	}
	client, err := spanner.NewClient(ctx, mainPath)
	if err != nil {
		return e2eResult{}, err
	}
	defer client.Close()
	dlq, err := os.MkdirTemp("", "revrepl-bench-dlq")
	if err != nil {
		return e2eResult{}, err
	}
	start := time.Now().UTC()
	drain := 30 * time.Second
	cfg, err := params.Parse(params.Values{
		"changeStreamName": "benchstream", "instanceId": e.emu.Instance, "databaseId": mainID,
		"spannerProjectId": e.emu.Project, "metadataInstance": e.emu.Instance, "metadataDatabase": "benchmeta" + e.id,
		"sourceType": *targetKind, "sourceShardsFilePath": e.shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp": start.Add(d + drain).Format(time.RFC3339Nano), "deadLetterQueueDirectory": dlq,
		params.ShadowTableLocation: *e2eShadow,
	}, time.Now())
	if err != nil {
		return e2eResult{}, err
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{BatchSize: *batchSize})
	if err != nil {
		return e2eResult{}, err
	}

	var committed atomic.Int64
	commits := newCommitLog()
	var took time.Duration
	genDone := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		var err error
		took, err = generate(ctx, client, rate, d, base, &committed, commits)
		genDone <- err
	}()
	poll := newPoller(e, base)
	stopPoll := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); poll.run(ctx, stopPoll, commits) }()

	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	mres, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		return e2eResult{}, fmt.Errorf("pipeline: %w", err)
	}
	var stages string
	if mres != nil {
		stages = stageTimes(mres.Metrics())
	}
	if err := <-genDone; err != nil {
		return e2eResult{}, fmt.Errorf("generator: %w", err)
	}
	close(stopPoll)
	wg.Wait()
	poll.once(ctx)

	lags := poll.lags(commits)
	stages = poll.lagOverTime(commits) + "\n       " + stages
	res := e2eResult{stages: stages, rate: rate, committed: int(committed.Load()), applied: len(lags), generatorSeconds: took.Seconds()}
	if len(lags) > 0 {
		res.p50, res.p99, res.max = pct(lags, 0.50), pct(lags, 0.99), lags[len(lags)-1]
	}
	return res, nil
}

type poller struct {
	e     *env
	mu    sync.Mutex
	seen  map[int64]time.Time // id -> when the poller first saw it
	floor int64
}

// newPoller watches the rows of a run whose keys start at base.
func newPoller(e *env, base int64) *poller {
	return &poller{e: e, seen: map[int64]time.Time{}, floor: base}
}

func (p *poller) run(ctx context.Context, stop <-chan struct{}, commits *commitLog) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var stall stallWatch
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.once(ctx)
			p.mu.Lock()
			floor := p.floor
			p.mu.Unlock()
			_, pending := commits.get(floor)
			stall.observe(floor, pending, time.Now())
		}
	}
}

func (p *poller) once(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rows, err := p.e.check.QueryContext(ctx, p.e.pollSQL, p.floor)
	if err != nil {
		return
	}
	defer rows.Close()
	now := time.Now()
	for rows.Next() {
		var id int64
		var sent string
		if rows.Scan(&id, &sent) != nil {
			continue
		}
		if _, ok := p.seen[id]; !ok {
			p.seen[id] = now
		}
	}
	for {
		if _, ok := p.seen[p.floor]; !ok {
			break
		}
		p.floor++
	}
}

// lags are, in seconds and ascending, the time from each seen row's
// commit to its first sighting in the target.
func (p *poller) lags(commits *commitLog) []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]float64, 0, len(p.seen))
	for id, seen := range p.seen {
		if ts, ok := commits.get(id); ok {
			out = append(out, seen.Sub(ts).Seconds())
		}
	}
	sort.Float64s(out)
	return out
}

// lagOverTime is the maximum lag of the rows committed in each 5 s of the
// run, in order: a stall shows as one high bucket, a pipeline falling
// behind as rising ones.
func (p *poller) lagOverTime(commits *commitLog) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first time.Time
	type lag struct {
		at  time.Time
		lag float64
	}
	var all []lag
	for id, seen := range p.seen {
		if ts, ok := commits.get(id); ok {
			all = append(all, lag{ts, seen.Sub(ts).Seconds()})
			if first.IsZero() || ts.Before(first) {
				first = ts
			}
		}
	}
	var buckets []float64
	for _, l := range all {
		i := int(l.at.Sub(first) / (5 * time.Second))
		for len(buckets) <= i {
			buckets = append(buckets, 0)
		}
		buckets[i] = max(buckets[i], l.lag)
	}
	var b strings.Builder
	b.WriteString("max lag per 5 s of commits:")
	for _, v := range buckets {
		fmt.Fprintf(&b, " %.1f", v)
	}
	return b.String()
}

// pct is the q-quantile of sorted (ascending, not empty) by nearest
// rank: the smallest value with at least q of the values at or below it.
func pct(sorted []float64, q float64) float64 {
	// The epsilon keeps q*n that float arithmetic puts a hair above a
	// whole number (0.99*100) on that number.
	i := int(math.Ceil(q*float64(len(sorted))-1e-9)) - 1
	return sorted[max(0, min(len(sorted)-1, i))]
}
