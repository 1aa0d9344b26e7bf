package transforms

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/emulator"
	"github.com/revrepl/spanner-to-sourcedb/io/extrafiles"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

func init() {
	register.DoFn6x1[context.Context, state.Provider, int64, record.Record, func(beam.EventTime, int64), func(beam.EventTime, string, FileCount), error](&writeFn{})
	register.Emitter2[beam.EventTime, int64]()
}

// WriteConfig configures the writer.
type WriteConfig struct {
	// Target is the kind of target database (sourceType, see Target).
	Target string
	// ShardsFile is read on the worker, so passwords never travel in the
	// pipeline graph.
	ShardsFile       string
	MetadataDatabase string
	ShadowPrefix     string
	// ShadowInSource keeps the shadow rows in the shards
	// (shadowTableLocation=source): the writer then never connects to the
	// metadata database.
	ShadowInSource bool
	Spanner        schema.Spanner
	Source         schema.Source
	TimezoneOffset string // +HH:MM
	Priority       int32
	BatchSize      int
	PoolSize       int
	// DLQ is the dead-letter queue (FilterDir receives the changes the
	// custom transformation filters out).
	DLQ DeadLetterConfig
	// Names maps Spanner names to source names (session file, overrides;
	// zero: identity).
	Names mapping.Names
	// Transformation is the custom transformation, if any.
	Transformation plugin.Spec
	// ExtraFiles (extraFilesToStage) are staged at Setup, before the
	// shards are connected to; DisabledAlgorithms applies to their TLS.
	ExtraFiles         string
	DisabledAlgorithms string
}

var (
	successRecords = beam.NewCounter("transforms", "success_record_count")
	staleRecords   = beam.NewCounter("transforms", "records_skipped_as_older")
	batchSizes     = beam.NewDistribution("transforms", "write_batch_size")
	writeLatency   = beam.NewDistribution("transforms", "successful_write_to_source_latency_ms")
)

// writeFn applies records to their shard in batches. It is keyed: declaring
// state makes runners hand all records of one key to one worker at a time,
// so two workers never write the same primary key concurrently. Batches
// span keys within a bundle and are flushed when full and at bundle end,
// which works on every runner (no timers needed).
type writeFn struct {
	WriteConfig
	Keyed state.Value[int64]

	applier *apply.Applier
	meta    *spanner.Client
	// closeTransform releases the custom transformation.
	closeTransform func()
	dbs            map[string]*sql.DB
	// releases give back the worker's shared shard pools (Target.Acquire).
	releases []func()
	buf      map[string][]record.Record
	dead     deadLetters
}

func (f *writeFn) Setup(ctx context.Context) error {
	// A shard's CA certificate comes with extraFilesToStage.
	if _, err := extrafiles.Stage(ctx, f.ExtraFiles); err != nil {
		return err
	}
	// Secrets are resolved here, on the worker, like the file itself.
	t, err := Target(f.Target)
	if err != nil {
		return err
	}
	shards, err := target.LoadShards(ctx, f.ShardsFile, t)
	if err != nil {
		return err
	}
	f.dbs = map[string]*sql.DB{}
	for _, s := range shards {
		// Values are bound as wall clocks in this zone.
		s.TimeZone = f.TimezoneOffset
		s.DisabledAlgorithms = f.DisabledAlgorithms
		db, release, err := t.Acquire(s, f.PoolSize)
		if err != nil {
			return err
		}
		f.dbs[s.ID()] = db
		f.releases = append(f.releases, release)
	}
	if !f.ShadowInSource {
		if f.meta, err = spanner.NewClient(ctx, f.MetadataDatabase); err != nil {
			return fmt.Errorf("connecting to metadata database %s: %w", f.MetadataDatabase, err)
		}
	}
	tz, err := parseOffset(f.TimezoneOffset)
	if err != nil {
		return err
	}
	f.applier = &apply.Applier{
		Meta: f.meta, ShadowPrefix: f.ShadowPrefix, Spanner: f.Spanner,
		Mapper:   mapping.Mapper{Spanner: f.Spanner, Source: f.Source, Names: f.Names, TZ: tz, Values: t.Values()},
		Target:   t,
		InSource: f.ShadowInSource,
		Priority: spannerpb.RequestOptions_Priority(f.Priority),
		Turn:     emulator.ReadWriteTurn(),
	}
	f.dead = newDeadLetters(f.DLQ)
	return f.setupRecordProcessing(ctx)
}

// setupRecordProcessing starts the custom transformation. Records come
// completed (Complete): the writer reads nothing from the change stream's
// database.
func (f *writeFn) setupRecordProcessing(ctx context.Context) error {
	if f.Transformation.IsSet() {
		t, closer, err := NewTransformer(ctx, f.Transformation)
		if err != nil {
			return err
		}
		f.applier.Transform, f.closeTransform = t, closer
	}
	return nil
}

func (f *writeFn) Teardown() {
	for _, release := range f.releases {
		release()
	}
	if f.meta != nil {
		f.meta.Close()
	}
	if f.closeTransform != nil {
		f.closeTransform()
	}
}

// StartBundle takes the emitters only because the SDK requires every
// bundle method to list the emitters FinishBundle uses.
func (f *writeFn) StartBundle(_ context.Context, _ func(beam.EventTime, int64), _ func(beam.EventTime, string, FileCount)) {
	f.buf = map[string][]record.Record{}
}

func (f *writeFn) ProcessElement(ctx context.Context, _ state.Provider, _ int64, r record.Record,
	done func(beam.EventTime, int64), consumed func(beam.EventTime, string, FileCount)) error {
	f.buf[r.Shard] = append(f.buf[r.Shard], r)
	if len(f.buf[r.Shard]) >= f.BatchSize {
		return f.flushAndMark(ctx, r.Shard, done, consumed)
	}
	return nil
}

func (f *writeFn) FinishBundle(ctx context.Context, done func(beam.EventTime, int64), consumed func(beam.EventTime, string, FileCount)) error {
	for shard := range f.buf {
		if err := f.flushAndMark(ctx, shard, done, consumed); err != nil {
			return err
		}
	}
	return nil
}

// flush applies the shard's buffered records. Records that fail are written
// to the DLQ before flush returns, so a bundle only completes once every
// record is either applied, known to be older, or in the DLQ.
func (f *writeFn) flush(ctx context.Context, shard string) error {
	batch := f.buf[shard]
	delete(f.buf, shard)
	if len(batch) == 0 {
		return nil
	}
	db, ok := f.dbs[shard]
	if !ok {
		return f.dead.file(ctx, apply.FailAll(batch, fmt.Errorf("shard %q is not in the shard file", shard)))
	}
	start := time.Now()
	var out apply.Outcome
	var err error
	if key := shardKey(shard, db); workerShards.admit(key) {
		out, err = f.applier.ApplyIsolating(ctx, db, batch)
		workerShards.note(ctx, key, shard, len(batch), len(out.Applied), err)
	} else {
		out.Failed = apply.FailAll(batch, fmt.Errorf("shard %s: %w", shard, errShardDown))
	}
	if err != nil && ctx.Err() != nil {
		// The worker is stopping: the runner retries the bundle
		// elsewhere, and the shadow check drops what was applied.
		return fmt.Errorf("applying %d records to shard %s: %w", len(batch), shard, err)
	}
	// An error failed part of the batch as a whole (apply.WholeBatch): the
	// shard is down, restarting or failing over, a lock wait timed out, or
	// Spanner is unavailable. ApplyIsolating put that part's records in
	// out.Failed. Failing the bundle would end the job on a runner that
	// does not retry bundles (prism) and, on one that does, hold back every
	// key of the bundle for as long as the outage lasts. As in the Java
	// template the records wait in retry/ instead: a retry applies them,
	// and the shadow check drops what did reach MySQL.
	batchSizes.Update(ctx, int64(len(batch)))
	staleRecords.Inc(ctx, int64(out.Stale+out.Superseded))
	// Retried records that no longer fail leave retry/.
	f.dead.settled(ctx, batch, out.Failed)
	if n := len(out.Applied); n > 0 {
		successRecords.Inc(ctx, int64(n))
		writeLatency.Update(ctx, time.Since(start).Milliseconds())
		beam.NewCounter(shard, "records_written_to_source_"+shard).Inc(ctx, int64(n))
		lag := beam.NewDistribution(shard, "replication_lag_in_seconds_"+shard)
		now := time.Now()
		for _, r := range out.Applied {
			lag.Update(ctx, int64(now.Sub(r.CommitTimestamp.Time()).Seconds()))
		}
	}
	if err := f.dead.filtered(ctx, shard, out.Filtered); err != nil {
		return err
	}
	return f.dead.file(ctx, out.Failed)
}

func parseOffset(s string) (*time.Location, error) {
	if s == "" {
		return time.UTC, nil
	}
	t, err := time.Parse("-07:00", s)
	if err != nil {
		return nil, fmt.Errorf("sourceDbTimezoneOffset %q: %w", s, err)
	}
	_, off := t.Zone()
	return time.FixedZone(s, off), nil
}

// Write applies keyed records to MySQL. It returns one element per written
// batch (see flushAndMark), whose watermark tells how far writing has got,
// and the DLQ records whose outcome it committed, for DeleteConsumed.
func Write(s beam.Scope, cfg WriteConfig, keyed beam.PCollection) (written, consumed beam.PCollection) {
	return beam.ParDo2(s.Scope("Write to source"), &writeFn{WriteConfig: cfg}, keyed)
}
