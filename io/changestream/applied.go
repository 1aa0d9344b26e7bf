package changestream

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
)

func init() {
	register.Function1x2[[]byte, int64, int64](seedKey)
	register.Function1x2[int64, int64, int64](markerKey)
	register.DoFn6x1[context.Context, beam.EventTime, state.Provider, timers.Provider, int64, int64, error](&appliedFn{})
}

// TrackApplied stores the job's applied watermark in the metadata
// database: a time before which every change of the stream has been applied
// to MySQL or written to the dead-letter queue. A relaunch reads again from
// there (meta.Rewind), so a job that was cancelled or crashed, with changes
// read but not yet applied, loses none of them.
//
// done is the writer's output: one element per applied batch, stamped with
// the batch's newest event time. Only its watermark matters for
// correctness; the elements are there so that progress can be stored as
// soon as the newest writes are in.
//
// Why no change is lost. The applied watermark is only ever stored as a
// time T at which an event-time timer fired here, that is, once the input
// watermark of this step had passed T. That watermark is the writer's output
// watermark, which a runner does not advance past the timestamp of any
// writer input still pending or in a bundle being processed; and a writer
// bundle completes only once each of its records is in MySQL, found older
// than MySQL's (the shadow check), or written to the dead-letter queue
// (otherwise the bundle fails and is retried, or the job fails). So every
// record with event time before T has been dealt with, provided the source
// emits no record behind its own watermark: the partition reader holds its
// watermark below the lowest position of all unfinished partitions (see
// readFn.holdWatermark), which is below any record still to be read, created
// children included, and event times (commit times in milliseconds, rounded
// down) are never below a record's position. Records dropped on the way
// (filtered transactions) need no applying. Conversely, a change at or after
// T lies in a partition that had not finished, or finished after T, so a
// relaunch reopens that partition from at most the change's time
// (meta.Rewind) and reads it again; the shadow tables make the repeats that
// this brings harmless.
func TrackApplied(s beam.Scope, cfg Config, done beam.PCollection) {
	s = s.Scope("changestream.TrackApplied")
	// A seed arms the timer even if nothing is ever written.
	seed := beam.ParDo(s, seedKey, beam.Impulse(s))
	markers := beam.ParDo(s, markerKey, done)
	beam.ParDo0(s, &appliedFn{
		MetadataDatabase: cfg.MetadataDatabase, MetadataTable: cfg.MetadataTable, MetadataPostgres: cfg.MetadataPostgres,
		Generation: cfg.Generation, StartMillis: cfg.AppliedMillis, EndMillis: endMillis(cfg.EndNanos), IntervalMillis: progressInterval(cfg),
		Fire: timers.InEventTime("applied"),
	}, beam.Flatten(s, seed, markers))
}

// Everything goes to one key: there is one applied watermark per job, and
// markers are few (one per written batch).
func seedKey(_ []byte) (int64, int64)  { return 0, 0 }
func markerKey(n int64) (int64, int64) { return 0, n }

// endMillis is just past endTimestamp in event time: storing it means every
// change up to endTimestamp is applied.
func endMillis(endNanos int64) int64 {
	if endNanos == meta.Unbounded {
		return 0
	}
	return endNanos/int64(time.Millisecond) + 1
}

func progressInterval(cfg Config) int64 {
	if cfg.ProgressMillis > 0 {
		return cfg.ProgressMillis
	}
	return 2000
}

// maxProgressStep caps how far (in event time) one stored value may jump
// ahead of the previous one; see meta.NextProgress.
const maxProgressStep = int64(time.Minute / time.Millisecond)

// keepFinished is how long finished partitions stay in the metadata table
// after the applied watermark has passed them, for operators to look at.
const keepFinished = time.Hour

// finalArmed marks a tracker that has stored its last value.
const finalArmed = -1

// appliedFn stores the applied watermark each time its single event-time
// timer fires, and re-arms it. (One timer family only: prism hangs on a
// DoFn that declares two.)
type appliedFn struct {
	MetadataDatabase string
	MetadataTable    string
	MetadataPostgres bool
	// Generation is the launch's hold on the table (Config.Generation).
	Generation int64
	// StartMillis is the applied watermark at launch; EndMillis is just
	// past endTimestamp (0 for none).
	StartMillis, EndMillis int64
	IntervalMillis         int64

	Fire timers.EventTime
	// Armed is when Fire is set to fire (event time, Unix ms), or
	// finalArmed once the final value is stored; Frontier is the newest
	// event time of an applied batch seen.
	Armed    state.Value[int64]
	Frontier state.Value[int64]

	table meta.Table
}

func (f *appliedFn) Setup(ctx context.Context) error {
	c, err := spanner.NewClient(ctx, f.MetadataDatabase)
	if err != nil {
		return fmt.Errorf("connecting to metadata database %s: %w", f.MetadataDatabase, err)
	}
	f.table = meta.Table{Client: c, Name: f.MetadataTable, Postgres: f.MetadataPostgres, Generation: f.Generation}
	return nil
}

func (f *appliedFn) Teardown() {
	if f.table.Client != nil {
		f.table.Client.Close()
	}
}

func (f *appliedFn) ProcessElement(ctx context.Context, ts beam.EventTime, sp state.Provider, tp timers.Provider, _ int64, _ int64) error {
	frontier, _, err := f.Frontier.Read(sp)
	if err != nil {
		return err
	}
	if t := int64(ts); t > frontier {
		if err := f.Frontier.Write(sp, t); err != nil {
			return err
		}
	}
	if _, armed, err := f.Armed.Read(sp); err != nil || armed {
		return err
	}
	start := f.StartMillis
	if start <= 0 {
		// No applied watermark from the launch (a pipeline built without
		// Launch): start at the first write rather than step from 1970.
		if int64(ts) <= 0 {
			return nil
		}
		start = int64(ts)
	}
	first := start + f.IntervalMillis
	if f.EndMillis > 0 {
		first = min(first, f.EndMillis)
	}
	return f.arm(sp, tp, first)
}

func (f *appliedFn) arm(sp state.Provider, tp timers.Provider, at int64) error {
	f.Fire.Set(tp, time.UnixMilli(at))
	return f.Armed.Write(sp, at)
}

func (f *appliedFn) OnTimer(ctx context.Context, sp state.Provider, tp timers.Provider, _ int64, _ timers.Context) error {
	fired, ok, err := f.Armed.Read(sp)
	if err != nil || !ok || fired == finalArmed {
		return err
	}
	applied := time.UnixMilli(fired)
	if err := f.table.SaveApplied(ctx, applied, keepFinished); superseded(ctx, err) {
		// Another launch has the table: this tracker stores nothing more
		// and is not armed again (an error would only make the runner
		// retry it).
		return f.Armed.Write(sp, finalArmed)
	} else if err != nil {
		// Progress only goes unrecorded until the next firing; a relaunch
		// in between re-reads a little more. Not worth failing the job.
		appliedSaveErrors.Inc(ctx, 1)
		logs.Warn(ctx, "applied watermark not stored", "metadata_table", f.MetadataTable, "applied", applied, "error", err)
	} else {
		appliedWatermark.Set(ctx, fired)
		appliedLag.Update(ctx, time.Since(applied).Milliseconds())
	}
	frontier, _, err := f.Frontier.Read(sp)
	if err != nil {
		return err
	}
	next := meta.NextProgress(fired, frontier, f.IntervalMillis, maxProgressStep, f.EndMillis, time.Now())
	if next == 0 {
		logs.Info(ctx, "applied watermark final", "metadata_table", f.MetadataTable, "applied", applied)
		return f.Armed.Write(sp, finalArmed)
	}
	return f.arm(sp, tp, next)
}
