package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	mysqltarget "github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// sourceShadowThroughput applies n records in batches of size through the
// writer with shadowTableLocation=source: the shadow table in MariaDB, no
// Spanner in the loop. The shadow table is created as the launch does.
func (e *env) sourceShadowThroughput(ctx context.Context, size, n int) (float64, error) {
	host, port, _ := net.SplitHostPort(*mysqlAddr)
	shard := target.Shard{Host: host, Port: target.Port(port), User: "revrepl_bench", Password: "revrepl-bench", DBName: e.dbName}
	tables := []target.ShadowTable{{Name: shadow.TableName("shadow_", "Bench"), KeyColumns: []string{"Id"}}}
	if _, err := (mysqltarget.Target{}).EnsureShadowTables(ctx, shard, tables); err != nil {
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
