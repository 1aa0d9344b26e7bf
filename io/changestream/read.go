// Package changestream reads a Spanner change stream as an unbounded (or,
// with an end timestamp, bounded) Beam source.
//
// The shape follows Beam Java's connector: a partition metadata table in
// Spanner holds every partition's lineage, state and position; a polling
// splittable DoFn (detect) hands out partitions whose parents have all
// finished; a second splittable DoFn (read) queries one partition over a
// timestamp restriction, checkpointing between bounded queries so runners
// can spread partitions over workers and resume them.
package changestream

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
)

func init() {
	register.DoFn5x2[context.Context, *sdf.ManualWatermarkEstimator, *sdf.LockRTracker, []byte,
		func(beam.EventTime, Partition), sdf.ProcessContinuation, error](&detectFn{})
	register.DoFn5x2[context.Context, *sdf.ManualWatermarkEstimator, *sdf.LockRTracker, Partition,
		func(beam.EventTime, record.DataChangeRecord), sdf.ProcessContinuation, error](&readFn{})
	register.Emitter2[beam.EventTime, Partition]()
	register.Emitter2[beam.EventTime, record.DataChangeRecord]()
}

// Config says which stream to read and where its partition state lives.
type Config struct {
	// Database holds the change stream: projects/p/instances/i/databases/d.
	Database string
	Stream   string
	Postgres bool
	// MetadataDatabase and MetadataTable hold the partition metadata.
	MetadataDatabase string
	MetadataTable    string
	// Priority is a spannerpb.RequestOptions_Priority value.
	Priority        int32
	HeartbeatMillis int64
	// QueryWindowMillis bounds each partition query: records reach the rest
	// of the pipeline when the query returns, so it bounds latency too.
	QueryWindowMillis int64
	// PollMillis is how often new partitions are looked for.
	PollMillis int64
}

// Read emits every data change record of the stream, at least once, with
// its commit timestamp as event time.
func Read(s beam.Scope, cfg Config) beam.PCollection {
	s = s.Scope("changestream.Read")
	imp := beam.Impulse(s)
	parts := beam.ParDo(s.Scope("DetectPartitions"), &detectFn{clientFn{Config: cfg}}, imp)
	parts = beam.Reshuffle(s, parts)
	return beam.ParDo(s.Scope("ReadPartition"), &readFn{clientFn{Config: cfg}}, parts)
}

var (
	recordsRead        = beam.NewCounter("changestream", "records_read")
	heartbeats         = beam.NewCounter("changestream", "heartbeats")
	partitionsStarted  = beam.NewCounter("changestream", "partitions_started")
	partitionsFinished = beam.NewCounter("changestream", "partitions_finished")
	transientErrors    = beam.NewCounter("changestream", "transient_errors")
)

// clientFn holds the Spanner clients a DoFn needs; set up once per worker.
type clientFn struct {
	Config
	data *spanner.Client
	meta MetadataTable
}

func (f *clientFn) setup(ctx context.Context, needData bool) error {
	mc, err := spanner.NewClient(ctx, f.MetadataDatabase)
	if err != nil {
		return fmt.Errorf("connecting to metadata database %s: %w", f.MetadataDatabase, err)
	}
	f.meta = MetadataTable{Client: mc, Table: f.MetadataTable}
	if needData {
		if f.data, err = spanner.NewClient(ctx, f.Database); err != nil {
			return fmt.Errorf("connecting to database %s: %w", f.Database, err)
		}
	}
	return nil
}

func (f *clientFn) teardown() {
	if f.meta.Client != nil {
		f.meta.Client.Close()
	}
	if f.data != nil {
		f.data.Close()
	}
}

// detectFn polls the metadata table and emits partitions ready to read. Its
// restriction only counts polls; it ends when every partition has finished.
type detectFn struct {
	clientFn
}

func (f *detectFn) Setup(ctx context.Context) error { return f.setup(ctx, false) }
func (f *detectFn) Teardown()                       { f.teardown() }

func (f *detectFn) CreateInitialRestriction(_ []byte) offsetrange.Restriction {
	return offsetrange.Restriction{Start: 0, End: Unbounded}
}

func (f *detectFn) SplitRestriction(_ []byte, rest offsetrange.Restriction) []offsetrange.Restriction {
	return []offsetrange.Restriction{rest}
}

func (f *detectFn) RestrictionSize(_ []byte, _ offsetrange.Restriction) float64 { return 1 }

func (f *detectFn) CreateTracker(rest offsetrange.Restriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(offsetrange.NewTracker(rest))
}

func (f *detectFn) TruncateRestriction(_ *sdf.LockRTracker, _ []byte) offsetrange.Restriction {
	return offsetrange.Restriction{}
}

func (f *detectFn) CreateWatermarkEstimator() *sdf.ManualWatermarkEstimator {
	return &sdf.ManualWatermarkEstimator{}
}

func (f *detectFn) ProcessElement(ctx context.Context, we *sdf.ManualWatermarkEstimator, rt *sdf.LockRTracker,
	_ []byte, emit func(beam.EventTime, Partition)) (sdf.ProcessContinuation, error) {
	rest := rt.GetRestriction().(offsetrange.Restriction)
	if !rt.TryClaim(rest.Start) {
		return sdf.StopProcessing(), rt.GetError()
	}
	snap, err := f.meta.Scan(ctx)
	if err != nil {
		if isTransient(err) {
			transientErrors.Inc(ctx, 1)
			return sdf.ResumeProcessingIn(time.Second), nil
		}
		return sdf.StopProcessing(), err
	}
	if snap.Unfinished == 0 {
		// Every partition reached its end: the bounded read is complete.
		rt.TryClaim(rest.End)
		return sdf.StopProcessing(), nil
	}
	// Hold the watermark at the slowest unfinished partition: partitions not
	// yet emitted start there, and their records must not be late.
	we.UpdateWatermark(snap.MinWatermark)
	if len(snap.Ready) > 0 {
		moved, err := f.meta.Schedule(ctx, snap.Ready)
		if err != nil {
			return sdf.StopProcessing(), err
		}
		for _, p := range moved {
			emit(beam.EventTime(p.Start/int64(time.Millisecond)), p)
		}
	}
	return sdf.ResumeProcessingIn(time.Duration(f.PollMillis) * time.Millisecond), nil
}

// readFn reads one partition. Its restriction is the partition's remaining
// time range in Unix nanoseconds [start, end+1).
type readFn struct {
	clientFn
}

func (f *readFn) Setup(ctx context.Context) error { return f.setup(ctx, true) }
func (f *readFn) Teardown()                       { f.teardown() }

func (f *readFn) CreateInitialRestriction(p Partition) offsetrange.Restriction {
	end := p.End
	if end != Unbounded {
		end++
	}
	return offsetrange.Restriction{Start: p.Start, End: end}
}

func (f *readFn) SplitRestriction(_ Partition, rest offsetrange.Restriction) []offsetrange.Restriction {
	return []offsetrange.Restriction{rest}
}

func (f *readFn) RestrictionSize(_ Partition, rest offsetrange.Restriction) float64 {
	// Time left to read, in seconds, up to now: a runner uses it to weigh
	// backlog, and the future of an unbounded range is no backlog.
	end := min(rest.End, time.Now().UnixNano())
	if end <= rest.Start {
		return 0
	}
	return float64(end-rest.Start) / 1e9
}

func (f *readFn) CreateTracker(rest offsetrange.Restriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(offsetrange.NewTracker(rest))
}

func (f *readFn) TruncateRestriction(_ *sdf.LockRTracker, _ Partition) offsetrange.Restriction {
	return offsetrange.Restriction{}
}

func (f *readFn) CreateWatermarkEstimator() *sdf.ManualWatermarkEstimator {
	return &sdf.ManualWatermarkEstimator{}
}

func (f *readFn) ProcessElement(ctx context.Context, we *sdf.ManualWatermarkEstimator, rt *sdf.LockRTracker,
	p Partition, emit func(beam.EventTime, record.DataChangeRecord)) (sdf.ProcessContinuation, error) {
	rest := rt.GetRestriction().(offsetrange.Restriction)
	we.UpdateWatermark(time.Unix(0, rest.Start))
	if rest.Start == p.Start {
		partitionsStarted.Inc(ctx, 1)
		if err := f.meta.MarkRunning(ctx, p.Token); err != nil {
			return f.retryOrFail(ctx, err)
		}
	} else if err := f.meta.SetWatermark(ctx, p.Token, time.Unix(0, rest.Start)); err != nil {
		// Everything before rest.Start was emitted by bundles that the runner
		// has committed (it handed us this residual), so storing it as the
		// resume position never skips a record.
		return f.retryOrFail(ctx, err)
	}

	now := time.Now()
	if rest.Start > now.UnixNano() {
		// A start in the future (allowed up to 10 minutes): wait for it.
		return sdf.ResumeProcessingIn(time.Until(time.Unix(0, rest.Start))), nil
	}
	queryEnd := min(rest.End-1, now.Add(time.Duration(f.QueryWindowMillis)*time.Millisecond).UnixNano())
	q := Query{
		Stream: f.Stream, Token: p.QueryToken(), Start: time.Unix(0, rest.Start).UTC(), End: time.Unix(0, queryEnd).UTC(),
		HeartbeatMillis: f.HeartbeatMillis, Priority: spannerpb.RequestOptions_Priority(f.Priority), Postgres: f.Postgres,
	}
	claimed := rest.Start - 1
	var children []Partition
	stopped := false
	claim := func(pos int64) bool {
		if pos <= claimed {
			return true // same position as an earlier record: already claimed
		}
		if !rt.TryClaim(pos) {
			stopped = true
			return false
		}
		claimed = pos
		we.UpdateWatermark(time.Unix(0, pos))
		return true
	}
	err := q.Run(ctx, f.data, func(it Item) error {
		if stopped {
			return errStop
		}
		pos := it.Position().UnixNano()
		switch {
		case it.Data != nil:
			if !claim(pos) {
				return errStop
			}
			recordsRead.Inc(ctx, 1)
			emit(beam.EventTime(pos/int64(time.Millisecond)), *it.Data)
		case len(it.Children) > 0:
			for _, c := range it.Children {
				children = append(children, Partition{Token: c.Token, Parents: c.Parents, Start: pos, End: p.End, HeartbeatMillis: p.HeartbeatMillis})
			}
		default:
			heartbeats.Inc(ctx, 1)
			if !claim(pos) {
				return errStop
			}
		}
		return nil
	})
	if err != nil && err != errStop {
		if isTransient(err) {
			// Resume from the last claimed position; records after it come again.
			return f.retryOrFail(ctx, err)
		}
		return sdf.StopProcessing(), fmt.Errorf("reading change stream %s partition %q from %s: %w",
			f.Stream, p.Token, q.Start.Format(time.RFC3339Nano), explain(err))
	}
	if stopped {
		// The runner split the restriction: the rest is someone else's.
		return sdf.StopProcessing(), rt.GetError()
	}
	if len(children) > 0 || queryEnd >= rest.End-1 {
		// The partition ended (children announced) or reached endTimestamp.
		if err := f.meta.Finish(ctx, p.Token, children); err != nil {
			return f.retryOrFail(ctx, err)
		}
		partitionsFinished.Inc(ctx, 1)
		rt.TryClaim(rest.End)
		return sdf.StopProcessing(), nil
	}
	// The window ended: everything up to queryEnd has been returned, so the
	// next query starts at queryEnd (inclusive; a record at exactly queryEnd
	// may come twice, which the shadow check makes harmless).
	if queryEnd-1 > claimed && !claim(queryEnd-1) {
		return sdf.StopProcessing(), rt.GetError()
	}
	return sdf.ResumeProcessingIn(0), nil
}

func (f *readFn) retryOrFail(ctx context.Context, err error) (sdf.ProcessContinuation, error) {
	if isTransient(err) {
		transientErrors.Inc(ctx, 1)
		log.Warnf(ctx, "change stream %s: transient error, resuming: %v", f.Stream, err)
		return sdf.ResumeProcessingIn(time.Second), nil
	}
	return sdf.StopProcessing(), err
}

type stopError struct{}

func (stopError) Error() string { return "restriction stopped" }

var errStop error = stopError{}
