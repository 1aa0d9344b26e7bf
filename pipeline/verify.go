package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/files"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// VerifyDir is the folder of runMode=verify's results, under the DLQ
// directory beside retry/ and severe/: one folder per run, named by its
// start time.
const VerifyDir = "verify"

// verifyConfig is runMode=verify's job: the regular job's mapping, routing
// and transformation, Spanner read at verifyTimestamp (default: the launch
// time), results under <DLQ>/verify/<run time>/.
func verifyConfig(cfg *params.Config, env Env, sp schema.Spanner, source schema.Source, rp recordProcessing, sh sharding,
	dlqDir, mainDB, metaDB, csMetaDB, wmTable string, priority int32) *transforms.VerifyConfig {
	run := env.VerifyRunTime
	if run.IsZero() {
		run = time.Now()
	}
	at := cfg.VerifyTimestamp
	if at.IsZero() {
		at = run
	}
	wait := env.VerifyRecheckWait
	if wait <= 0 {
		wait = transforms.DefaultRecheckWait
	}
	rows := env.VerifyRowsPerRange
	if rows <= 0 {
		rows = transforms.DefaultRowsPerRange
	}
	return &transforms.VerifyConfig{
		Target: cfg.SourceType, Database: mainDB, Priority: priority, At: at.UTC(),
		Spanner: sp, Source: source, Names: rp.names, TimezoneOffset: cfg.SourceDbTimezoneOffset,
		Single: sh.single, Shards: sh.ids(), Tables: rp.tables, Custom: sh.custom, SkipDir: cfg.SkipDirectoryName,
		Transformation: rp.transformation,
		ShardsFile:     cfg.SourceShardsFilePath, ExtraFiles: cfg.ExtraFilesToStage, DisabledAlgorithms: cfg.DisabledAlgorithms,
		PoolSize: sh.poolSize, RowsPerRange: rows,
		MetadataDatabase: metaDB, ShadowPrefix: cfg.ShadowTablePrefix, ShadowInSource: cfg.ShadowTableLocation == params.ShadowInSource,
		WatermarkDatabase: csMetaDB, WatermarkTable: wmTable, RecheckWait: wait,
		Out:     dlqDir + VerifyDir + "/" + run.UTC().Format("20060102T150405.000Z") + "/",
		DLQRoot: dlqDir, Repair: cfg.VerifyRepair,
	}
}

// VerifyResult is what a finished verification wrote in its summary file.
type VerifyResult struct {
	// Lines are the summary lines, one JSON object per table and shard,
	// then the final "mismatches: <n>" line.
	Lines      []string
	Mismatches int64
	// Dir is the run's directory: the summary and the mismatches files.
	Dir string
}

// ReadVerifyResult reads the summary a verification wrote in dir
// (Prepared.Verify.Out).
func ReadVerifyResult(ctx context.Context, dir string) (VerifyResult, error) {
	b, err := files.Read(ctx, dir+transforms.SummaryFile)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("the verification's summary: %w", err)
	}
	r := VerifyResult{Dir: dir}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		r.Lines = append(r.Lines, l)
	}
	last := r.Lines[len(r.Lines)-1]
	if _, err := fmt.Sscanf(last, "mismatches: %d", &r.Mismatches); err != nil {
		return VerifyResult{}, fmt.Errorf("%s%s: last line %q is not \"mismatches: <n>\"", dir, transforms.SummaryFile, last)
	}
	return r, nil
}
