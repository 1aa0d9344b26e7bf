package transforms

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/shardkey"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

func init() {
	register.DoFn4x1[context.Context, record.Record, func(int64, record.Record), func(beam.EventTime, string, FileCount), error](&assignShardFn{})
	register.Emitter2[int64, record.Record]()
}

var customShardLatency = beam.NewDistribution("transforms", "custom_shard_id_impl_latency_ms")

// AssignConfig configures shard assignment. It holds shard ids, never
// connection details: passwords stay in the shard file.
type AssignConfig struct {
	// Single, when set, receives every record (one shard and
	// isShardedMigration=false); nothing else below is used then.
	Single string
	// Buckets is maxShardConnections x the number of shards.
	Buckets int64
	// Shards are the logical shard ids of the shard file.
	Shards []string
	Tables routing.StaticTables
	Custom plugin.Spec
	// Spanner is the change stream database's schema.
	Spanner schema.Spanner
	DLQ     DeadLetterConfig
}

// assignShardFn picks each record's shard and its grouping key. Records it
// cannot route are written to the DLQ by FinishBundle, so a bundle only
// completes once each record went on or was filed; those that came from a
// DLQ file are then reported done to DeleteConsumed.
type assignShardFn struct {
	AssignConfig

	router      routing.Router
	closeCustom func()
	dead        deadLetters
	failed      []apply.Failure
}

func (f *assignShardFn) Setup(ctx context.Context) error {
	if f.Single != "" {
		return nil
	}
	f.router = routing.Router{Shards: map[string]bool{}, SkipDir: f.DLQ.SkipDir, Tables: f.Tables}
	for _, s := range f.Shards {
		f.router.Shards[s] = true
	}
	if f.Custom.IsSet() {
		fe, closer, err := NewShardFetcher(ctx, f.Custom)
		if err != nil {
			return err
		}
		f.router.Fetcher = timedFetcher{fe}
		f.closeCustom = closer
	}
	f.dead = newDeadLetters(f.DLQ)
	return nil
}

func (f *assignShardFn) Teardown() {
	if f.closeCustom != nil {
		f.closeCustom()
	}
}

func (f *assignShardFn) ProcessElement(ctx context.Context, r record.Record, emit func(int64, record.Record), _ func(beam.EventTime, string, FileCount)) error {
	switch {
	case f.Single != "":
		r.Shard = f.Single
	case r.Shard != "" && (r.TransactionTag == verify.RepairTag || r.TransactionTag == verify.StrayTag):
		// A verification's repair goes to the shard it was found in.
	default:
		shard, err := f.route(ctx, &r)
		if err != nil {
			f.failed = append(f.failed, apply.Failure{Record: r, Err: err})
			return nil
		}
		r.Shard = shard
	}
	emit(shardkey.Of(r.TableName, r.Mod.KeysJSON, r.Shard, f.Buckets), r)
	return nil
}

// FinishBundle takes the record emitter only because Beam requires bundle
// methods to declare the outputs of ProcessElement.
func (f *assignShardFn) FinishBundle(ctx context.Context, _ func(int64, record.Record), done func(beam.EventTime, string, FileCount)) error {
	failed := f.failed
	f.failed = nil
	return f.dead.fileAndReport(ctx, failed, done)
}

// route finds the shard of a multi-shard record. A DELETE's row was read
// back by the completion stage (Complete), into its new values.
func (f *assignShardFn) route(ctx context.Context, r *record.Record) (string, error) {
	t := f.Spanner.Tables[r.TableName]
	v, err := r.Mod.Decode()
	if err != nil {
		return "", fmt.Errorf("table %q: %w", r.TableName, err)
	}
	rec, err := routing.SpannerRecord(t, v)
	if err != nil {
		return "", err
	}
	return f.router.Route(ctx, routing.Request{TableName: r.TableName, SpannerRecord: rec})
}

// timedFetcher records the custom fetcher's latency.
type timedFetcher struct{ routing.Fetcher }

func (t timedFetcher) ShardID(ctx context.Context, req routing.Request) (string, error) {
	start := time.Now()
	id, err := t.Fetcher.ShardID(ctx, req)
	customShardLatency.Update(ctx, time.Since(start).Milliseconds())
	return id, err
}

// AssignShard routes records to their shard and keys them for the writer.
// The second result reports the DLQ records it filed, for DeleteConsumed.
func AssignShard(s beam.Scope, cfg AssignConfig, col beam.PCollection) (keyed, done beam.PCollection) {
	return beam.ParDo2(s.Scope("AssignShardId"), &assignShardFn{AssignConfig: cfg}, col)
}
