package main

import (
	"context"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// sourceShadowThroughput applies n records in batches of size through the
// writer with shadowTableLocation=source: the shadow table in the target
// (MariaDB or PostgreSQL, whichever --target is), no Spanner in the loop.
// The shadow table is created as the launch does, by the target's
// EnsureShadowTables, as the pipeline's user.
func (e *env) sourceShadowThroughput(ctx context.Context, size, n int) (float64, error) {
	tables := []target.ShadowTable{{Name: shadow.TableName(e.applier.ShadowPrefix, "Bench"), KeyColumns: []string{"Id"}}}
	if _, err := e.applier.Target.EnsureShadowTables(ctx, e.shard, tables); err != nil {
		return 0, err
	}
	a := &apply.Applier{ShadowPrefix: e.applier.ShadowPrefix, Spanner: e.applier.Spanner, InSource: true,
		Mapper: mapping.Mapper{Spanner: e.applier.Mapper.Spanner, Source: e.applier.Mapper.Source, TZ: time.UTC, Values: e.applier.Mapper.Values},
		Target: e.applier.Target}
	recs := e.records(n)
	start := time.Now()
	for i := 0; i < n; i += size {
		out, err := a.Apply(ctx, e.db, recs[i:min(n, i+size)])
		if err != nil {
			return 0, fmt.Errorf("source shadow, batch size %d: %w", size, err)
		}
		if len(out.Failed) > 0 {
			return 0, fmt.Errorf("source shadow, batch size %d: %v", size, out.Failed[0].Err)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
