package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/spanner"
)

// The load generator of the end-to-end runs.
//
// Rows fall due evenly in time: rate per second counted from the start,
// so a late timer or a slow commit delays rows but does not drop them.
// (The generator before this one sent rate/100 rows per 10 ms tick, and
// a time.Ticker drops the ticks its reader is late for: rows never sent,
// rather than sent late. It committed 812 and 875 of the 1,000 rows/s
// asked.) Committers commit what is due, each Apply (a
// single commit, ApplyAtLeastOnce) taking every row due at that moment,
// up to maxRowsPerCommit: while the emulator keeps up, commits are small
// and frequent (about one per tick, rate/100 rows); when it falls behind,
// commits grow to maxRowsPerCommit instead of queueing. Rows still not
// taken genGrace after the last one fell due are abandoned: the committed
// rate printed next to the asked one then shows the shortfall.
//
// maxRowsPerCommit is small because the emulator commits a large
// transaction to a table under a change stream much more slowly per row
// than a small one. Measured with this generator alone (no pipeline),
// 8,000 rows/s asked for 10 s, on the shared 2-core machine: at most 25
// rows per commit gave 7,330 rows/s, 100 gave 6,893, 500 gave 3,634,
// 1,000 gave 1,757.
const (
	genTick          = 10 * time.Millisecond
	genCommitters    = 4
	maxRowsPerCommit = 50
	genGrace         = 2 * time.Second
)

// commitLog keeps each generated row's commit timestamp. Lag is measured
// from it, not from when the generator sent the row: a commit the emulator
// holds up (it runs one read-write transaction at a time, and the client
// retries an aborted commit with a growing back-off) would otherwise count
// as lag of the pipeline.
type commitLog struct {
	mu sync.Mutex
	at map[int64]time.Time
}

func newCommitLog() *commitLog { return &commitLog{at: map[int64]time.Time{}} }

func (l *commitLog) add(first, n int64, ts time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := first; id < first+n; id++ {
		l.at[id] = ts
	}
}

func (l *commitLog) get(id int64) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.at[id]
	return t, ok
}

// dueBy is how many of total rows are due elapsed after the start, rate
// rows per second falling due evenly.
func dueBy(rate int, elapsed time.Duration, total int64) int64 {
	if elapsed <= 0 {
		return 0
	}
	return min(total, int64(float64(rate)*elapsed.Seconds()))
}

// pacer hands out due rows, as ranges of row numbers, to the committers.
type pacer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	due    int64 // rows due so far (the ticker raises it)
	taken  int64 // rows handed out
	total  int64
	stopAt time.Time // rows not taken by then are abandoned
}

// take waits for due rows and hands out up to max of them: rows
// [first, first+n). ok is false when there is nothing more to commit.
func (p *pacer) take(max int64) (first, n int64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.taken >= p.due && p.due < p.total && time.Now().Before(p.stopAt) {
		p.cond.Wait()
	}
	if p.taken >= p.due || !time.Now().Before(p.stopAt) {
		return 0, 0, false
	}
	n = min(p.due-p.taken, max)
	first = p.taken
	p.taken += n
	return first, n, true
}

// abandon makes every take from now on return nothing (a commit failed:
// the run fails, and the others need not go on).
func (p *pacer) abandon() {
	p.mu.Lock()
	p.stopAt = time.Now()
	p.mu.Unlock()
	p.cond.Broadcast()
}

// generate commits rate rows per second to table Bench for d, with keys
// from base up, and returns how long it took from its start to the end of
// its last commit. committed counts the rows committed.
func generate(ctx context.Context, c *spanner.Client, rate int, d time.Duration, base int64, committed *atomic.Int64, commits *commitLog) (time.Duration, error) {
	start := time.Now()
	p := &pacer{total: int64(float64(rate) * d.Seconds()), stopAt: start.Add(d + genGrace)}
	p.cond = sync.NewCond(&p.mu)
	go func() {
		t := time.NewTicker(genTick)
		defer t.Stop()
		for {
			now := <-t.C
			p.mu.Lock()
			// Never lower: a tick's time is not always later than
			// the one read before (a late receiver got a value older
			// than the rows already handed out, and take computed a
			// negative count).
			p.due = max(p.due, dueBy(rate, now.Sub(start), p.total))
			done := p.due == p.total || !now.Before(p.stopAt)
			p.mu.Unlock()
			if done {
				p.cond.Broadcast()
				return
			}
			p.cond.Signal()
		}
	}()
	cols := []string{"Id", "Name", "Qty", "Price", "Active", "SentAt"}
	var last atomic.Int64 // end of the last commit, ns since start
	errs := make(chan error, genCommitters)
	var wg sync.WaitGroup
	for range genCommitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first, n, ok := p.take(maxRowsPerCommit)
				if !ok {
					return
				}
				muts := make([]*spanner.Mutation, n)
				sent := time.Now().UTC().Format(time.RFC3339Nano)
				for i := range muts {
					id := base + first + int64(i)
					muts[i] = spanner.Insert("Bench", cols, []any{id, fmt.Sprintf("n%d", id), id, 1.5, true, sent})
				}
				ts, err := c.Apply(ctx, muts, spanner.ApplyAtLeastOnce())
				if err != nil {
					errs <- fmt.Errorf("committing rows %d to %d: %w", base+first, base+first+n-1, err)
					p.abandon()
					return
				}
				commits.add(base+first, n, ts)
				committed.Add(n)
				end := int64(time.Since(start))
				for {
					l := last.Load()
					if end <= l || last.CompareAndSwap(l, end) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return time.Duration(last.Load()), <-errs
}
