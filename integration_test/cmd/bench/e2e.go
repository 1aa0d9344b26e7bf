package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

const e2eBaseKey = 1_000_000_000

type e2eResult struct {
	committed, applied int
	generatorSeconds   float64
	p50, p99, max      float64
	keptUp             bool
}

// endToEnd commits rate changes per second to Spanner for d while the
// pipeline runs on prism, and measures, per row, the time from just before
// its commit to its first sighting in MySQL (polled every 100 ms).
func (e *env) endToEnd(ctx context.Context, rate int, d time.Duration) (e2eResult, error) {
	mainID := "benchmain" + e.id
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
	}, time.Now())
	if err != nil {
		return e2eResult{}, err
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{BatchSize: *batchSize})
	if err != nil {
		return e2eResult{}, err
	}

	var committed atomic.Int64
	var genSeconds float64
	genDone := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		t0 := time.Now()
		err := generate(ctx, client, rate, d, &committed)
		genSeconds = time.Since(t0).Seconds()
		genDone <- err
	}()
	poll := newPoller(e)
	stopPoll := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); poll.run(ctx, stopPoll) }()

	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	if _, err := beamx.RunWithMetrics(ctx, p); err != nil {
		return e2eResult{}, fmt.Errorf("pipeline: %w", err)
	}
	if err := <-genDone; err != nil {
		return e2eResult{}, fmt.Errorf("generator: %w", err)
	}
	close(stopPoll)
	wg.Wait()
	poll.once(ctx)

	lags := poll.lags()
	res := e2eResult{committed: int(committed.Load()), applied: len(lags), generatorSeconds: genSeconds}
	if len(lags) > 0 {
		res.p50, res.p99, res.max = pct(lags, 0.50), pct(lags, 0.99), lags[len(lags)-1]
	}
	res.keptUp = res.applied == res.committed && res.p99 < 5 &&
		float64(res.committed) >= 0.95*float64(rate)*d.Seconds()
	return res, nil
}

// generate commits rate rows per second, in transactions of rate/100 rows
// every 10 ms spread over a few goroutines, for d.
func generate(ctx context.Context, c *spanner.Client, rate int, d time.Duration, committed *atomic.Int64) error {
	perTxn := max(1, rate/100)
	ticks := make(chan int64, 1000)
	go func() {
		defer close(ticks)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		end := time.Now().Add(d)
		var next int64 = e2eBaseKey
		for now := range t.C {
			if now.After(end) {
				return
			}
			ticks <- next
			next += int64(perTxn)
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range ticks {
				muts := make([]*spanner.Mutation, perTxn)
				sent := time.Now().UTC().Format(time.RFC3339Nano)
				for i := range muts {
					id := first + int64(i)
					muts[i] = spanner.Insert("Bench", []string{"Id", "Name", "Qty", "Price", "Active", "SentAt"},
						[]any{id, fmt.Sprintf("n%d", id), id, 1.5, true, sent})
				}
				if _, err := c.Apply(ctx, muts, spanner.ApplyAtLeastOnce()); err != nil {
					errs <- err
					return
				}
				committed.Add(int64(perTxn))
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

type poller struct {
	e     *env
	mu    sync.Mutex
	seen  map[int64]float64 // id -> lag seconds
	floor int64
}

func newPoller(e *env) *poller { return &poller{e: e, seen: map[int64]float64{}, floor: e2eBaseKey} }

func (p *poller) run(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.once(ctx)
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
		if _, ok := p.seen[id]; ok {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, sent); err == nil {
			p.seen[id] = now.Sub(t).Seconds()
		}
	}
	for {
		if _, ok := p.seen[p.floor]; !ok {
			break
		}
		p.floor++
	}
}

func (p *poller) lags() []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]float64, 0, len(p.seen))
	for _, l := range p.seen {
		out = append(out, l)
	}
	sort.Float64s(out)
	return out
}

func pct(sorted []float64, q float64) float64 {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
