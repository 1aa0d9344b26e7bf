// Command bench measures the writer and the whole pipeline on this machine,
// all in one run against the Cloud Spanner emulator and MariaDB (or, with
// --target=postgresql, PostgreSQL):
//
//   - writer throughput with batch size 1 (the Java template's protocol: one
//     Spanner read-write transaction and one MySQL transaction per record)
//     and with the default batch size, on the same records;
//   - the raw ceiling: the same rows written to MariaDB by plain multi-row
//     upserts, with no shadow check;
//   - the writer with shadowTableLocation=source (the shadow rows in
//     MariaDB, checked and written in the same transaction), against that
//     ceiling;
//   - end to end: a steady stream of changes committed to Spanner while the
//     pipeline runs on prism, with commit-to-apply lag percentiles.
//
// It prints a table and ends with one line a script can read:
// batch1_ratio=<x> ceiling_ratio=<x> p99_lag_s=<x> kept_up=<true|false>
// source_shadow_ceiling_ratio=<x>
//
// With --verify_rows=N it measures runMode=verify instead: a table of N
// equal rows in Spanner and MariaDB, verified by the pipeline on prism,
// ending with verify_rows=<n> rows_per_s=<x> mismatches=<n>.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
)

var (
	records    = flag.Int("records", 5000, "records per writer measurement")
	batch1Max  = flag.Int("batch1_records", 1000, "records for the batch-size-1 measurement (it is slow)")
	batchSize  = flag.Int("batch", pipeline.DefaultBatchSize, "default batch size to compare")
	rate       = flag.Int("rate", 1000, "changes per second committed to Spanner in the end-to-end run")
	duration   = flag.Duration("duration", 60*time.Second, "length of the end-to-end workload")
	mysqlAddr  = flag.String("mysql", "127.0.0.1:3306", "MariaDB address (root, empty password)")
	targetKind = flag.String("target", "mysql", "the target database: mysql (MariaDB) or postgresql")
	pgAddr     = flag.String("postgresql", "127.0.0.1:5432", "PostgreSQL address (--target=postgresql; postgres, no password)")
	emuAddr    = flag.String("emulator", "", "Spanner emulator address (default: start one on a free port)")
	skipE2E    = flag.Bool("skip_e2e", false, "only measure the writer")
	verifyN    = flag.Int("verify_rows", 0, "measure only runMode=verify instead: rows verified per second for a table of this many rows (make bench-verify)")
)

func main() {
	flag.Parse()
	beam.Init()
	if *targetKind != "mysql" && *targetKind != "postgresql" {
		fail(fmt.Errorf("--target %q: mysql or postgresql", *targetKind))
	}
	ctx := context.Background()
	// Partition churn is off: the bench measures throughput and lag, and
	// churn only adds the emulator's own re-partitioning pauses.
	emu, err := localenv.StartEmulator(ctx, *emuAddr, "--enable_change_stream_churning=false")
	if err != nil {
		fail(err)
	}
	env, err := newEnv(ctx, emu)
	if err != nil {
		fail(err)
	}
	defer env.close()
	if *verifyN > 0 {
		rps, mismatches, err := env.verifyThroughput(ctx, *verifyN)
		if err != nil {
			fail(err)
		}
		fmt.Printf("verify_rows=%d rows_per_s=%.0f mismatches=%d\n", *verifyN, rps, mismatches)
		if mismatches != 0 {
			os.Exit(3)
		}
		return
	}

	addr := *mysqlAddr
	if *targetKind == "postgresql" {
		addr = *pgAddr
	}
	fmt.Printf("writer: %d records of table Bench (6 columns), emulator %s, %s %s\n", *records, emu.Addr, targetName(), addr)
	b1, ph1, err := env.writerThroughput(ctx, 1, min(*batch1Max, *records))
	if err != nil {
		fail(err)
	}
	bn, phn, err := env.writerThroughput(ctx, *batchSize, *records)
	if err != nil {
		fail(err)
	}
	raw, err := env.rawCeiling(ctx, *batchSize, *records)
	if err != nil {
		fail(err)
	}
	// The writer with shadowTableLocation=source is measured against
	// MariaDB only so far; for PostgreSQL the ratio is NaN.
	src := math.NaN()
	if *targetKind != "postgresql" {
		if src, err = env.sourceShadowThroughput(ctx, *batchSize, *records); err != nil {
			fail(err)
		}
	}
	fmt.Printf("\n%-44s %12s %10s\n", "measurement", "records/s", "ratio")
	fmt.Printf("%-44s %12.0f %10s\n", "writer, batch size 1 (Java protocol)", b1, "1.00")
	fmt.Printf("%-44s %12.0f %10.2f\n", fmt.Sprintf("writer, batch size %d", *batchSize), bn, bn/b1)
	fmt.Printf("%-44s %12.0f %10.2f\n", "raw multi-row upserts, no shadow check", raw, bn/raw)
	fmt.Printf("%-44s %12.0f %10.2f\n", fmt.Sprintf("writer, shadow in MariaDB, batch size %d", *batchSize), src, src/raw)
	fmt.Printf("\nwhere the writer's time goes: batch size 1: %s\n", ph1)
	fmt.Printf("                              batch size %d: %s\n", *batchSize, phn)

	p99, keptUp := -1.0, false
	if !*skipE2E {
		res, err := env.endToEnd(ctx, *rate, *duration)
		if err != nil {
			fail(err)
		}
		p99, keptUp = res.p99, res.keptUp
		fmt.Printf("\nend to end: %d changes/s for %s: %d committed, %d applied, lag p50 %.2fs p99 %.2fs max %.2fs\n",
			*rate, *duration, res.committed, res.applied, res.p50, res.p99, res.max)
		fmt.Printf("committed rate achieved: %.0f changes/s\n", float64(res.committed)/res.generatorSeconds)
	}
	fmt.Printf("batch1_ratio=%.2f ceiling_ratio=%.2f p99_lag_s=%.2f kept_up=%t source_shadow_ceiling_ratio=%.2f\n", bn/b1, bn/raw, p99, keptUp, src/raw)
}

// targetName names --target in the output.
func targetName() string {
	if *targetKind == "postgresql" {
		return "PostgreSQL"
	}
	return "MySQL"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
