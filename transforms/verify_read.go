package transforms

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sort"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/extrafiles"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

func init() {
	register.DoFn5x1[context.Context, beam.EventTime, []byte, func(spannerread.Partition), func(string, int64), error](&planSpannerFn{})
	register.Emitter2[string, int64]()
	register.DoFn5x1[context.Context, beam.EventTime, spannerread.Partition, func(string, Expected), func(beam.EventTime, string, int64), error](&readSpannerFn{})
	register.DoFn3x1[context.Context, []byte, func(TargetRange), error](&planTargetFn{})
	register.DoFn3x1[context.Context, TargetRange, func(string, verify.Row), error](&readTargetFn{})
	register.Emitter1[spannerread.Partition]()
	register.Emitter2[string, Expected]()
	register.Emitter3[beam.EventTime, string, int64]()
	register.Emitter1[TargetRange]()
	register.Emitter2[string, verify.Row]()
	beam.RegisterType(reflect.TypeOf((*Expected)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*TargetRange)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*verify.Row)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*spannerread.Partition)(nil)).Elem())
}

// tally counts a bundle's rows by verify.Count and emits the totals when
// the bundle ends: one element per counter and bundle, not per row.
type tally struct {
	n    map[string]int64
	last beam.EventTime
}

func (t *tally) add(at beam.EventTime, c verify.Count, n int64) {
	if t.n == nil {
		t.n = map[string]int64{}
	}
	t.n[c.String()] += n
	if at > t.last {
		t.last = at
	}
}

func (t *tally) flush(emit func(beam.EventTime, string, int64)) {
	for k, n := range t.n {
		emit(t.last, k, n)
	}
	t.n = nil
}

// replicatedTables lists the Spanner tables that have a source table, in
// name order, and counts the others as skipped.
func replicatedTables(cfg VerifyConfig, e *expecter) (tables []schema.SpannerTable, skipped []string) {
	names := make([]string, 0, len(cfg.Spanner.Tables))
	for n := range cfg.Spanner.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := e.mapper.SourceTable(n); !ok {
			skipped = append(skipped, n)
			continue
		}
		tables = append(tables, cfg.Spanner.Tables[n])
	}
	return tables, skipped
}

// planSpannerFn partitions the read of every replicated table at At.
type planSpannerFn struct {
	VerifyConfig
}

func (f *planSpannerFn) ProcessElement(ctx context.Context, _ beam.EventTime, _ []byte, emit func(spannerread.Partition), counts func(string, int64)) error {
	e, err := newExpecter(ctx, f.VerifyConfig)
	if err != nil {
		return err
	}
	defer e.close()
	tables, skipped := replicatedTables(f.VerifyConfig, e)
	for _, n := range skipped {
		logs.Info(ctx, "verify: table not replicated, not compared", "table", n)
		counts(verify.Count{Table: n, Kind: verify.SkippedTable}.String(), 1)
	}
	c, err := spanner.NewClient(ctx, f.Database)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", f.Database, err)
	}
	defer c.Close()
	parts, err := spannerread.Partitions(ctx, c, f.At, tables)
	if err != nil {
		return err
	}
	for _, p := range parts {
		emit(p)
	}
	return nil
}

// readSpannerFn reads one partition and maps each row as the writer would.
type readSpannerFn struct {
	VerifyConfig

	client *spanner.Client
	exp    *expecter
	counts tally
}

func (f *readSpannerFn) Setup(ctx context.Context) error {
	var err error
	if f.exp, err = newExpecter(ctx, f.VerifyConfig); err != nil {
		return err
	}
	f.client, err = spanner.NewClient(ctx, f.Database)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", f.Database, err)
	}
	return nil
}

func (f *readSpannerFn) Teardown() {
	if f.client != nil {
		f.client.Close()
	}
	if f.exp != nil {
		f.exp.close()
	}
}

func (f *readSpannerFn) ProcessElement(ctx context.Context, at beam.EventTime, p spannerread.Partition, emit func(string, Expected), counts func(beam.EventTime, string, int64)) error {
	t := f.Spanner.Tables[p.Table]
	src, _ := f.exp.mapper.SourceTable(p.Table)
	err := spannerread.ReadPartition(ctx, f.client, t, p, func(keys, values string) error {
		key, exp, kind, err := f.exp.expect(ctx, p.Table, keys, values)
		switch kind {
		case "":
			emit(key.String(), exp)
		case verify.SkippedRows:
			f.counts.add(at, verify.Count{Table: src, Kind: kind}, 1)
		case verify.Filtered:
			f.counts.add(at, verify.Count{Table: src, Shard: key.Shard, Kind: kind}, 1)
		default:
			f.counts.add(at, verify.Count{Table: src, Kind: kind}, 1)
			logs.Warn(ctx, "verify: a Spanner row the writer could not map", "table", p.Table, "keys", keys, "error", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.counts.flush(counts)
	return nil
}

// TargetRange is one key range of a target table in one shard.
type TargetRange struct {
	Shard   string
	Table   string
	From    []verify.Value
	To      []verify.Value
	Through bool
}

// shardPools opens the worker's pools of every shard (Target.Acquire).
type shardPools struct {
	t        target.Target
	dbs      map[string]*sql.DB
	releases []func()
}

func openShards(ctx context.Context, cfg VerifyConfig) (*shardPools, error) {
	if _, err := extrafiles.Stage(ctx, cfg.ExtraFiles); err != nil {
		return nil, err
	}
	t, err := Target(cfg.Target)
	if err != nil {
		return nil, err
	}
	shards, err := target.LoadShards(ctx, cfg.ShardsFile, t)
	if err != nil {
		return nil, err
	}
	p := &shardPools{t: t, dbs: map[string]*sql.DB{}}
	for _, s := range shards {
		// TIMESTAMP columns read back in the zone the writer binds in.
		s.TimeZone = cfg.TimezoneOffset
		s.DisabledAlgorithms = cfg.DisabledAlgorithms
		db, release, err := t.Acquire(s, max(cfg.PoolSize, 1))
		if err != nil {
			p.close()
			return nil, err
		}
		p.dbs[s.ID()] = db
		p.releases = append(p.releases, release)
	}
	return p, nil
}

func (p *shardPools) close() {
	for _, r := range p.releases {
		r()
	}
	p.releases = nil
}

// planTargetFn cuts every replicated table of every shard into key ranges.
type planTargetFn struct {
	VerifyConfig
}

func (f *planTargetFn) ProcessElement(ctx context.Context, _ []byte, emit func(TargetRange)) error {
	e, err := newExpecter(ctx, f.VerifyConfig)
	if err != nil {
		return err
	}
	defer e.close()
	pools, err := openShards(ctx, f.VerifyConfig)
	if err != nil {
		return err
	}
	defer pools.close()
	tables, _ := replicatedTables(f.VerifyConfig, e)
	seen := map[string]bool{}
	shards := make([]string, 0, len(pools.dbs))
	for s := range pools.dbs {
		shards = append(shards, s)
	}
	sort.Strings(shards)
	for _, sp := range tables {
		name, _ := e.mapper.SourceTable(sp.Name)
		src, ok := e.sourceTable(name)
		if !ok || seen[src.Name] {
			continue
		}
		seen[src.Name] = true
		for _, shard := range shards {
			splits, err := pools.t.Scanner().Splits(ctx, pools.dbs[shard], src, max(f.RowsPerRange, 1))
			if err != nil {
				return fmt.Errorf("shard %s: %w", shard, err)
			}
			var from []verify.Value
			for _, s := range splits {
				emit(TargetRange{Shard: shard, Table: src.Name, From: from, To: s})
				from = s
			}
			emit(TargetRange{Shard: shard, Table: src.Name, From: from})
		}
	}
	return nil
}

// readTargetFn reads one key range of a target table.
type readTargetFn struct {
	VerifyConfig

	pools *shardPools
	exp   *expecter
}

func (f *readTargetFn) Setup(ctx context.Context) error {
	var err error
	if f.exp, err = newExpecter(ctx, f.VerifyConfig); err != nil {
		return err
	}
	f.pools, err = openShards(ctx, f.VerifyConfig)
	return err
}

func (f *readTargetFn) Teardown() {
	if f.pools != nil {
		f.pools.close()
	}
	if f.exp != nil {
		f.exp.close()
	}
}

func (f *readTargetFn) ProcessElement(ctx context.Context, r TargetRange, emit func(string, verify.Row)) error {
	db, ok := f.pools.dbs[r.Shard]
	if !ok {
		return fmt.Errorf("shard %q is not in the shard file", r.Shard)
	}
	t, _ := f.exp.sourceTable(r.Table)
	pk := target.WrittenKey(t)
	err := f.pools.t.Scanner().ReadRange(ctx, db, t, target.KeyRange{From: r.From, To: r.To, Through: r.Through}, func(row verify.Row) error {
		k, ok := verify.KeyOf(r.Shard, t.Name, pk, row)
		if !ok {
			return fmt.Errorf("table %s: a row read lacks a key column", t.Name)
		}
		emit(k.String(), row)
		return nil
	})
	if err != nil {
		return fmt.Errorf("shard %s: %w", r.Shard, err)
	}
	return nil
}
