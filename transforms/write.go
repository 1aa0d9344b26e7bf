package transforms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/sink"
	"github.com/revrepl/spanner-to-sourcedb/transforms/errclass"
	"github.com/revrepl/spanner-to-sourcedb/transforms/mapping"
	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
	"github.com/revrepl/spanner-to-sourcedb/transforms/schema"
)

func init() {
	register.DoFn4x1[context.Context, state.Provider, int64, record.Record, error](&writeFn{})
}

// WriteConfig configures the writer.
type WriteConfig struct {
	// ShardsFile is read on the worker, so passwords never travel in the
	// pipeline graph.
	ShardsFile       string
	MetadataDatabase string
	ShadowPrefix     string
	Spanner          schema.Spanner
	Source           schema.Source
	TimezoneOffset   string // +HH:MM
	Priority         int32
	BatchSize        int
	PoolSize         int
	DLQDir           string
	SkipDir          string
	// RetryMode is set for runMode retryDLQ and retryAllDLQ: records sent
	// back to severe/ are counted as requeued, not as new severe errors.
	RetryMode bool
}

var (
	successRecords   = beam.NewCounter("transforms", "success_record_count")
	retryableRecords = beam.NewCounter("transforms", "retryable_record_count")
	skippedRecords   = beam.NewCounter("transforms", "skipped_record_count")
	staleRecords     = beam.NewCounter("transforms", "records_skipped_as_older")
	severeErrors     = beam.NewCounter("transforms", "severe_error_count")
	requeued         = beam.NewCounter("transforms", "element_requeued_for_retry_count")
	batchSizes       = beam.NewDistribution("transforms", "write_batch_size")
	writeLatency     = beam.NewDistribution("transforms", "successful_write_to_source_latency_ms")
)

// writeFn applies records to their shard in batches. It is keyed: declaring
// state makes runners hand all records of one key to one worker at a time,
// so two workers never write the same primary key concurrently. Batches
// span keys within a bundle and are flushed when full and at bundle end,
// which works on every runner (no timers needed).
type writeFn struct {
	WriteConfig
	Keyed state.Value[int64]

	applier *sink.Applier
	meta    *spanner.Client
	dbs     map[string]*sql.DB
	buf     map[string][]record.Record
	dlq     dlq.Writer
}

func (f *writeFn) Setup(ctx context.Context) error {
	shards, err := mysql.ReadShardFile(ctx, f.ShardsFile)
	if err != nil {
		return err
	}
	f.dbs = map[string]*sql.DB{}
	for _, s := range shards {
		id := s.LogicalShardID
		if id == "" {
			id = mysql.SingleShardID
		}
		db, err := mysql.Open(s, f.PoolSize)
		if err != nil {
			return err
		}
		f.dbs[id] = db
	}
	if f.meta, err = spanner.NewClient(ctx, f.MetadataDatabase); err != nil {
		return fmt.Errorf("connecting to metadata database %s: %w", f.MetadataDatabase, err)
	}
	tz, err := parseOffset(f.TimezoneOffset)
	if err != nil {
		return err
	}
	f.applier = &sink.Applier{
		Meta: f.meta, ShadowPrefix: f.ShadowPrefix, Spanner: f.Spanner,
		Mapper:   mapping.Mapper{Spanner: f.Spanner, Source: f.Source, TZ: tz},
		Priority: spannerpb.RequestOptions_Priority(f.Priority),
	}
	f.dlq = dlq.Writer{Root: f.DLQDir}
	return nil
}

func (f *writeFn) Teardown() {
	for _, db := range f.dbs {
		db.Close()
	}
	if f.meta != nil {
		f.meta.Close()
	}
}

func (f *writeFn) StartBundle(context.Context) { f.buf = map[string][]record.Record{} }

func (f *writeFn) ProcessElement(ctx context.Context, _ state.Provider, _ int64, r record.Record) error {
	f.buf[r.Shard] = append(f.buf[r.Shard], r)
	if len(f.buf[r.Shard]) >= f.BatchSize {
		return f.flush(ctx, r.Shard)
	}
	return nil
}

func (f *writeFn) FinishBundle(ctx context.Context) error {
	for shard := range f.buf {
		if err := f.flush(ctx, shard); err != nil {
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
		return f.deadLetter(ctx, failAll(batch, fmt.Errorf("shard %q is not in the shard file", shard)))
	}
	start := time.Now()
	out, err := f.applier.ApplyIsolating(ctx, db, batch)
	if err != nil {
		// Nothing of the batch was recorded as applied: the runner retries
		// the bundle, and the shadow check drops what did reach MySQL.
		return fmt.Errorf("applying %d records to shard %s: %w", len(batch), shard, err)
	}
	batchSizes.Update(ctx, int64(len(batch)))
	staleRecords.Inc(ctx, int64(out.Stale+out.Superseded))
	for _, r := range out.Applied {
		if r.IsRetryRecord {
			retryableRecords.Inc(ctx, -1)
		}
	}
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
	return f.deadLetter(ctx, out.Failed)
}

func failAll(batch []record.Record, err error) []sink.Failure {
	out := make([]sink.Failure, len(batch))
	for i, r := range batch {
		out[i] = sink.Failure{Record: r, Err: err}
	}
	return out
}

// deadLetter writes failures to skip/, retry/ or severe/ by class.
func (f *writeFn) deadLetter(ctx context.Context, failures []sink.Failure) error {
	if len(failures) == 0 {
		return nil
	}
	lines := map[string][][]byte{}
	for _, fl := range failures {
		dir, msg := dlq.RetryDir, fl.Err.Error()
		switch {
		case errors.Is(fl.Err, mapping.ErrTableNotAtSource):
			dir, msg = f.SkipDir, "Skipped record from reverse replication"
			skippedRecords.Inc(ctx, 1)
		case errclass.Classify(fl.Err) == errclass.Severe:
			dir = dlq.SevereDir
			if f.RetryMode {
				requeued.Inc(ctx, 1)
			} else {
				severeErrors.Inc(ctx, 1)
			}
			log.Warnf(ctx, "record of table %s with keys %s to severe: %v", fl.Record.TableName, fl.Record.Mod.KeysJSON, fl.Err)
		case !fl.Record.IsRetryRecord:
			// Counts records waiting in retry/: a retried record that
			// fails again is already counted.
			retryableRecords.Inc(ctx, 1)
		}
		line, err := dlq.Encode(fl.Record, msg)
		if err != nil {
			return err
		}
		lines[dir] = append(lines[dir], line)
	}
	for dir, ls := range lines {
		if _, err := f.dlq.Write(ctx, dir, ls); err != nil {
			return err
		}
	}
	return nil
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

// Write applies keyed records to MySQL.
func Write(s beam.Scope, cfg WriteConfig, keyed beam.PCollection) {
	beam.ParDo0(s.Scope("Write to source"), &writeFn{WriteConfig: cfg}, keyed)
}
