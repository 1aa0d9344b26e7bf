package changestream

import (
	"context"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/pure/poll"
)

// detectFn polls the metadata table and emits partitions ready to read. Its
// restriction only counts polls; it ends when every partition has finished.
type detectFn struct {
	clientFn
	poll.Impulse
}

func (f *detectFn) Setup(ctx context.Context) error { return f.setup(ctx, false) }
func (f *detectFn) Teardown()                       { f.teardown() }

func (f *detectFn) ProcessElement(ctx context.Context, we *sdf.ManualWatermarkEstimator, rt *sdf.LockRTracker,
	_ []byte, emit func(beam.EventTime, meta.Partition)) (sdf.ProcessContinuation, error) {
	rest := rt.GetRestriction().(offsetrange.Restriction)
	if !rt.TryClaim(rest.Start) {
		return sdf.StopProcessing(), rt.GetError()
	}
	poll := time.Duration(f.PollMillis) * time.Millisecond
	// Scheduling checks the generation too, but may not happen for a long
	// time: a superseded detector would poll forever.
	if err := f.meta.CheckGeneration(ctx); superseded(ctx, err) {
		return stopRestriction(rt), nil
	} else if err != nil {
		transientErrors.Inc(ctx, 1)
		logs.Warn(ctx, "job generation unreadable, retrying", "stream", f.Stream, "pause", poll, "error", err)
		return sdf.ResumeProcessingIn(poll), nil
	}
	snap, err := f.meta.Scan(ctx)
	if err != nil {
		if streamquery.IsTransient(err) {
			transientErrors.Inc(ctx, 1)
			logs.Warn(ctx, "partition scan failed, retrying", "stream", f.Stream, "pause", poll, "error", err)
			return sdf.ResumeProcessingIn(poll), nil
		}
		return sdf.StopProcessing(), err
	}
	partitionsActive.Set(ctx, int64(snap.Unfinished))
	if snap.Unfinished == 0 {
		// Every partition reached its end: the bounded read is complete.
		logs.Info(ctx, "change stream finished", "stream", f.Stream)
		rt.TryClaim(rest.End)
		return sdf.StopProcessing(), nil
	}
	// Hold the watermark at the slowest unfinished partition: partitions
	// not yet emitted start there, and their records must not be late.
	we.UpdateWatermark(snap.MinWatermark)
	if len(snap.Ready) > 0 {
		moved, err := f.meta.Schedule(ctx, snap.Ready)
		if err != nil {
			if streamquery.IsTransient(err) {
				return sdf.ResumeProcessingIn(poll), nil
			}
			if superseded(ctx, err) {
				return stopRestriction(rt), nil
			}
			return sdf.StopProcessing(), err
		}
		for _, p := range moved {
			emit(beam.EventTime(p.Start/int64(time.Millisecond)), p)
		}
	}
	return sdf.ResumeProcessingIn(poll), nil
}
