package changestream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// readFn reads one partition. Its restriction is the partition's remaining
// time range in Unix nanoseconds [start, end+1): claiming a position means
// every record before it has been emitted.
type readFn struct {
	clientFn
	// Backoff paces retries after transient errors; zero for the default.
	Backoff streamquery.Backoff

	mu        sync.Mutex
	lowAt     time.Time // when low was read
	low       time.Time // see holdWatermark
	lowLoaded bool
}

func (f *readFn) Setup(ctx context.Context) error { return f.setup(ctx, true) }
func (f *readFn) Teardown()                       { f.teardown() }

func (f *readFn) CreateInitialRestriction(p meta.Partition) offsetrange.Restriction {
	end := p.End
	if end != meta.Unbounded {
		end++
	}
	return offsetrange.Restriction{Start: p.Start, End: end}
}

func (f *readFn) SplitRestriction(_ meta.Partition, rest offsetrange.Restriction) []offsetrange.Restriction {
	return []offsetrange.Restriction{rest}
}

func (f *readFn) RestrictionSize(_ meta.Partition, rest offsetrange.Restriction) float64 {
	// Time left to read, in seconds, up to now: a runner uses it to weigh
	// backlog, and the future of an unbounded range is no backlog.
	end := min(rest.End, time.Now().UnixNano())
	if end <= rest.Start {
		return 0
	}
	return float64(end-rest.Start) / 1e9
}

func (f *readFn) CreateTracker(rest offsetrange.Restriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(checkpointTracker{offsetrange.NewTracker(rest)})
}

func (f *readFn) TruncateRestriction(_ *sdf.LockRTracker, _ meta.Partition) offsetrange.Restriction {
	return offsetrange.Restriction{}
}

func (f *readFn) CreateWatermarkEstimator() *sdf.ManualWatermarkEstimator {
	return &sdf.ManualWatermarkEstimator{}
}

// lowRefresh is how long the lowest partition position is cached.
const lowRefresh = time.Second

// holdWatermark sets the output watermark to the lowest position of all
// unfinished partitions, not to this partition's own position. A watermark
// must never pass a record still to be emitted, and records of other
// partitions (and of children not created yet) may be older than this one's
// position. Runners are meant to take the minimum over all restrictions
// themselves, but prism keeps the estimate of the last bundle it saw, and
// the applied watermark (see TrackApplied) is only as sound as this one.
// Lowest positions only grow, so a cached one is still a valid bound. The
// millisecond taken off keeps the bound below records that share the
// millisecond of a stored position (event times are in milliseconds).
func (f *readFn) holdWatermark(ctx context.Context, we *sdf.ManualWatermarkEstimator) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.lowLoaded || time.Since(f.lowAt) > lowRefresh {
		low, ok, err := f.meta.MinWatermark(ctx)
		switch {
		case err != nil:
			logs.Warn(ctx, "lowest partition position unreadable", "stream", f.Stream, "error", err)
		case ok:
			f.low, f.lowAt, f.lowLoaded = low, time.Now(), true
		}
	}
	if f.lowLoaded {
		we.UpdateWatermark(f.low.Add(-time.Millisecond))
	}
	// Without a bound the estimator stays at its minimum: never too high.
}

func (f *readFn) backoff() streamquery.Backoff {
	if f.Backoff.Base <= 0 {
		return streamquery.DefaultBackoff
	}
	return f.Backoff
}

// retry runs op on partition token until it succeeds, pausing with
// exponential backoff after transient errors. Other errors, and
// cancellation, end it.
func (f *readFn) retry(ctx context.Context, what, token string, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !streamquery.IsTransient(err) {
			return err
		}
		transientErrors.Inc(ctx, 1)
		pause := f.backoff().Delay(attempt)
		logs.Warn(ctx, "transient error, retrying", "stream", f.Stream, "op", what, "partition", logs.Token(token),
			"attempt", attempt, "pause", pause, "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s: %w (gave up: %v)", what, token, err, ctx.Err())
		case <-time.After(pause):
		}
	}
}

func (f *readFn) ProcessElement(ctx context.Context, we *sdf.ManualWatermarkEstimator, rt *sdf.LockRTracker,
	p meta.Partition, emit func(beam.EventTime, record.DataChangeRecord)) (sdf.ProcessContinuation, error) {
	rest := rt.GetRestriction().(offsetrange.Restriction)
	f.holdWatermark(ctx, we)
	var finished, started bool
	err := f.retry(ctx, "updating partition", p.Token, func() error {
		if rest.Start == p.Start {
			prev, err := f.meta.MarkRunning(ctx, p)
			finished, started = prev == meta.StateFinished, prev != meta.StateFinished && prev != meta.StateRunning
			return err
		}
		// Everything before rest.Start was emitted by bundles that the
		// runner has committed (it handed us this residual).
		var err error
		finished, err = f.meta.SetWatermark(ctx, p, time.Unix(0, rest.Start))
		return err
	})
	if errors.Is(err, meta.ErrHandedOver) {
		return f.handedOver(ctx, rt, p, err)
	}
	if superseded(ctx, err) {
		return stopRestriction(rt), nil
	}
	if err != nil {
		return sdf.StopProcessing(), err
	}
	if finished {
		// Finished by the reader that held the range before this residual
		// (it saw the partition end after a checkpoint), or handed out
		// twice: either way there is nothing left to read.
		rt.TryClaim(rest.End)
		return sdf.StopProcessing(), nil
	}
	if started {
		partitionsStarted.Inc(ctx, 1)
		logs.Info(ctx, "partition started", "stream", f.Stream, "partition", logs.Token(p.Token), "start", fmtNanos(rest.Start), "parents", logs.Tokens(p.Parents))
	}

	now := time.Now()
	if rest.Start > now.UnixNano() {
		// A start in the future (allowed up to 10 minutes): wait for it.
		return sdf.ResumeProcessingIn(time.Until(time.Unix(0, rest.Start))), nil
	}
	queryEnd := min(rest.End-1, now.Add(time.Duration(f.QueryWindowMillis)*time.Millisecond).UnixNano())
	r := &partitionRead{rt: rt, claimed: rest.Start - 1}
	if err := f.query(ctx, p, rest.Start, queryEnd, r, emit); err != nil {
		return sdf.StopProcessing(), err
	}
	if r.stopped {
		// The runner split the restriction: the rest is someone else's.
		return sdf.StopProcessing(), rt.GetError()
	}
	if r.claimed >= rest.Start {
		// Windows end a little in the future; that is no lag.
		partitionLag.Update(ctx, max(0, time.Since(time.Unix(0, r.claimed)).Milliseconds()))
	}
	if len(r.children) > 0 || queryEnd >= rest.End-1 {
		// The partition ended (children announced) or reached endTimestamp.
		// Only the reader holding that position may finish it: after a
		// checkpoint, the residual's reader does.
		end, how, last := rest.End, "end timestamp", queryEnd
		if len(r.children) > 0 {
			end, how, last = r.childStart, "split or merged", r.childStart
		}
		if !r.claim(last) {
			return sdf.StopProcessing(), rt.GetError()
		}
		err := f.retry(ctx, "finishing partition", p.Token, func() error { return f.meta.Finish(ctx, p, r.children, end) })
		if errors.Is(err, meta.ErrHandedOver) {
			return f.handedOver(ctx, rt, p, err)
		}
		if superseded(ctx, err) {
			// The new job reads this partition again from its applied
			// watermark; this one must not finish it.
			return stopRestriction(rt), nil
		}
		if err != nil {
			return sdf.StopProcessing(), err
		}
		partitionsFinished.Inc(ctx, 1)
		args := []any{"stream", f.Stream, "partition", logs.Token(p.Token), "reason", how, "end", fmtNanos(end)}
		if len(r.children) > 0 {
			args = append(args, "children", logs.Tokens(childTokens(r.children)))
		}
		logs.Info(ctx, "partition finished", args...)
		rt.TryClaim(rest.End)
		return sdf.StopProcessing(), nil
	}
	// The window ended: everything up to queryEnd has been returned (the
	// end is inclusive), so the next query starts just after it.
	if queryEnd > r.claimed && !r.claim(queryEnd) {
		return sdf.StopProcessing(), rt.GetError()
	}
	return sdf.ResumeProcessingIn(0), nil
}

// handedOver ends this reader's part in partition p, which was handed to
// another reader (see meta.StaleSchedule): that reader reads it and moves
// its position; this one must not, and has nothing left to do.
func (f *readFn) handedOver(ctx context.Context, rt *sdf.LockRTracker, p meta.Partition, err error) (sdf.ProcessContinuation, error) {
	partitionsHandedOver.Inc(ctx, 1)
	logs.Warn(ctx, "partition handed to another reader; leaving it", "stream", f.Stream, "partition", logs.Token(p.Token), "error", err)
	rt.TryClaim(rt.GetRestriction().(offsetrange.Restriction).End)
	return sdf.StopProcessing(), nil
}

// partitionRead is the state of one window's read.
type partitionRead struct {
	rt         *sdf.LockRTracker
	claimed    int64 // last claimed position
	stopped    bool
	children   []meta.Partition
	childStart int64
}

// claim claims pos unless already claimed (records of one transaction, or
// of several, may share a timestamp).
func (r *partitionRead) claim(pos int64) bool {
	if pos <= r.claimed {
		return true
	}
	if !r.rt.TryClaim(pos) {
		r.stopped = true
		return false
	}
	r.claimed = pos
	return true
}

var errStop = errors.New("restriction stopped")

// query reads [from, end] of partition p. A transient error in the middle
// of the stream starts the query again from the last claimed position,
// inclusive: records at that position may not all have come yet, and the
// ones that did come again, which the shadow tables make harmless.
func (f *readFn) query(ctx context.Context, p meta.Partition, from, end int64, r *partitionRead,
	emit func(beam.EventTime, record.DataChangeRecord)) error {
	q := streamquery.Query{
		Stream: f.Stream, Token: p.QueryToken(), End: time.Unix(0, end).UTC(), HeartbeatMillis: p.HeartbeatMillis,
		Priority: spannerpb.RequestOptions_Priority(f.Priority), Postgres: f.Postgres,
	}
	handle := func(it decode.Item) error {
		pos := it.Position().UnixNano()
		switch {
		case it.Data != nil:
			if !r.claim(pos) {
				return errStop
			}
			recordsRead.Inc(ctx, 1)
			emit(beam.EventTime(pos/int64(time.Millisecond)), *it.Data)
		case len(it.Children) > 0:
			r.childStart = pos
			for _, c := range it.Children {
				r.children = append(r.children, meta.Partition{Token: c.Token, Parents: c.Parents, Start: pos, End: p.End, HeartbeatMillis: p.HeartbeatMillis})
			}
		default:
			heartbeats.Inc(ctx, 1)
			if !r.claim(pos) {
				return errStop
			}
		}
		return nil
	}
	return f.retry(ctx, "reading partition", p.Token, func() error {
		q.Start = time.Unix(0, max(from, r.claimed)).UTC()
		r.children = nil // a partition's child records come last: read again if at all
		err := q.Run(ctx, f.data, handle)
		switch {
		case err == nil || errors.Is(err, errStop):
			return nil
		case streamquery.IsTransient(err):
			return err
		}
		return fmt.Errorf("reading change stream %s partition %q from %s: %w",
			f.Stream, p.Token, q.Start.Format(time.RFC3339Nano), streamquery.Explain(err))
	})
}

func childTokens(ps []meta.Partition) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Token
	}
	return out
}

func fmtNanos(n int64) string {
	if n == meta.Unbounded {
		return "the end of time"
	}
	return time.Unix(0, n).UTC().Format(time.RFC3339Nano)
}
