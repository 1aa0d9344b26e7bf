package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// verifyThroughput measures runMode=verify: rows equal in Spanner and
// MariaDB (table Bench, one shard), verified by the pipeline on prism,
// in rows per second of the whole job (launch checks excluded).
func (e *env) verifyThroughput(ctx context.Context, rows int) (float64, int64, error) {
	dbID := "benchver" + e.id
	path, err := e.emu.CreateDatabase(ctx, dbID, false, benchSpannerDDL)
	if err != nil {
		return 0, 0, err
	}
	c, err := spanner.NewClient(ctx, path)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	fmt.Printf("verify: loading %d rows into Spanner and MariaDB\n", rows)
	loadStart := time.Now()
	const chunk = 1000
	cols := []string{"Id", "Name", "Qty", "Price", "Active", "SentAt"}
	for from := 1; from <= rows; from += chunk {
		to := min(rows, from+chunk-1)
		ms := make([]*spanner.Mutation, 0, chunk)
		var sql strings.Builder
		sql.WriteString("INSERT INTO Bench (Id, Name, Qty, Price, Active, SentAt) VALUES ")
		var args []any
		for id := from; id <= to; id++ {
			name, qty, price := fmt.Sprintf("name-%d", id), int64(id)*3, float64(id)+0.25
			ms = append(ms, spanner.Insert("Bench", cols, []any{int64(id), name, qty, price, true, "x"}))
			if id > from {
				sql.WriteByte(',')
			}
			sql.WriteString("(?,?,?,?,1,'x')")
			args = append(args, id, name, qty, price)
		}
		if _, err := c.Apply(ctx, ms); err != nil {
			return 0, 0, fmt.Errorf("loading Spanner: %w", err)
		}
		if _, err := e.db.ExecContext(ctx, sql.String(), args...); err != nil {
			return 0, 0, fmt.Errorf("loading MariaDB: %w", err)
		}
	}
	fmt.Printf("verify: loaded in %v\n", time.Since(loadStart).Round(time.Second))
	cfg, err := params.Parse(params.Values{
		"changeStreamName": "benchstream", "instanceId": e.emu.Instance, "databaseId": dbID,
		"spannerProjectId": e.emu.Project, "metadataInstance": e.emu.Instance, "metadataDatabase": "benchmeta" + e.id,
		"sourceShardsFilePath": e.shardFile, "runMode": params.RunModeVerify,
		"deadLetterQueueDirectory": strings.TrimSuffix(e.shardFile, "shards.json") + "dlq",
	}, time.Now())
	if err != nil {
		return 0, 0, err
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{})
	if err != nil {
		return 0, 0, err
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	start := time.Now()
	if _, err := prism.Execute(ctx, p); err != nil {
		return 0, 0, fmt.Errorf("verify pipeline: %w", err)
	}
	took := time.Since(start)
	fmt.Printf("verify: the pipeline took %v\n", took.Round(time.Millisecond))
	r, err := pipeline.ReadVerifyResult(ctx, plan.Verify.Out)
	if err != nil {
		return 0, 0, err
	}
	for _, l := range r.Lines {
		fmt.Printf("  %s\n", l)
	}
	return float64(rows) / took.Seconds(), r.Mismatches, nil
}
