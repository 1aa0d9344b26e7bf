// Command bench measures the writer and the whole pipeline on this machine,
// all in one run against the Cloud Spanner emulator and MariaDB (or, with
// --target=postgresql, PostgreSQL):
//
//   - writer throughput with batch size 1 (the Java template's protocol: one
//     Spanner read-write transaction and one target transaction per record)
//     and with the default batch size, on the same records;
//   - the shadow ceiling: the writer's Spanner side alone (shadowCeiling:
//     per batch, one read-write transaction that reads the batch's shadow
//     rows and writes them, as the writer does, with no target in it): what
//     the emulator allows the writer at best;
//   - the raw ceiling: the same rows written to the target by plain
//     multi-row upserts, with no shadow check;
//   - the writer with shadowTableLocation=source (the shadow rows in the
//     target, checked and written in the same transaction), against the raw
//     ceiling;
//   - end to end: a steady stream of --rate changes per second committed to
//     Spanner for --duration while the pipeline runs on prism, with
//     commit-to-apply lag percentiles and the rate the generator actually
//     committed (generate.go);
//   - the ramp: end-to-end runs at the rising rates of --ramp, until two in
//     a row are not sustained; max_rate is the highest sustained (ramp.go).
//     --skip_ramp skips it.
//
// It prints a table and ends with one line a script can read, its fields
// always in this order (report.go):
//
//	batch1_ratio=<x> shadow_ceiling_ratio=<x> source_shadow_ceiling_ratio=<x> ceiling_ratio=<x> p99_lag_s=<x> max_lag_s=<x> max_rate=<changes/s> kept_up=<true|false>
//
// p99_lag_s, max_lag_s and kept_up are of the --rate run; with --skip_e2e
// the lags and max_rate are -1, and max_rate is -1 with --skip_ramp too.
//
// With --verify_rows=N it measures runMode=verify instead: a table of N
// equal rows in Spanner and MariaDB, verified by the pipeline on prism,
// ending with verify_rows=<n> rows_per_s=<x> mismatches=<n>.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
)

var (
	records         = flag.Int("records", 5000, "records per writer measurement")
	batch1Max       = flag.Int("batch1_records", 1000, "records for the batch-size-1 measurement (it is slow)")
	batchSize       = flag.Int("batch", pipeline.DefaultBatchSize, "default batch size to compare")
	rounds          = flag.Int("rounds", 5, "the measurements at --batch take turns this many times, each over records/rounds records, so that the machine's drift falls on all alike")
	rate            = flag.Int("rate", 1000, "changes per second committed to Spanner in the end-to-end run")
	duration        = flag.Duration("duration", 60*time.Second, "length of the end-to-end workload")
	mysqlAddr       = flag.String("mysql", "127.0.0.1:3306", "MariaDB address (root, empty password)")
	targetKind      = flag.String("target", "mysql", "the target database: mysql (MariaDB) or postgresql")
	pgAddr          = flag.String("postgresql", "127.0.0.1:5432", "PostgreSQL address (--target=postgresql; postgres, no password)")
	emuAddr         = flag.String("emulator", "", "Spanner emulator address (default: start one on a free port)")
	skipE2E         = flag.Bool("skip_e2e", false, "only measure the writer (no end-to-end run, no ramp)")
	rampFlag        = flag.String("ramp", "1000,2000,3000,4000,6000,8000", "end-to-end rates (changes/s, comma separated) tried in ascending order, each for --duration, until two in a row are not sustained; max_rate is the highest sustained")
	skipRamp        = flag.Bool("skip_ramp", false, "no ramp: only the --rate end-to-end run (max_rate=-1)")
	e2eShadow       = flag.String("e2e_shadow", "metadata", "shadowTableLocation of the end-to-end runs and the ramp: metadata (the default, as the Java template) or source")
	abortBackoffMax = flag.Duration("abort_backoff_max", 0, "experiment: cap the Spanner client's back-off between retries of an aborted transaction at this instead (the pipeline caps it at emulator.AbortBackoffMax against the emulator; the client's own default is 32s)")
	cpuProfile      = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (prism runs in this process, so it covers the pipeline's stages; the emulator and the databases are other processes)")
	verifyN         = flag.Int("verify_rows", 0, "measure only runMode=verify instead: rows verified per second for a table of this many rows (make bench-verify)")
)

func main() {
	flag.Parse()
	beam.Init()
	if *abortBackoffMax > 0 {
		// An experiment beyond emulator.Use's cap (applied at each launch).
		spanner.DefaultRetryBackoff.Max = *abortBackoffMax
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fail(err)
		}
		defer stop()
	}
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
	var rates []int
	if !*skipE2E && !*skipRamp {
		// Read before minutes of measurements, not after.
		if rates, err = parseRamp(*rampFlag); err != nil {
			fail(err)
		}
	}
	fmt.Printf("writer: %d records of table Bench (6 columns) per measurement, in %d turns, emulator %s, %s %s\n", *records, *rounds, emu.Addr, targetName(), addr)
	b1, ph1, err := env.writerThroughput(ctx, 1, min(*batch1Max, *records), false)
	if err != nil {
		fail(err)
	}
	var phn, phc phases
	got, err := inTurns(*rounds, *records, []func(n int) (float64, error){
		func(n int) (float64, error) {
			r, ph, err := env.writerThroughput(ctx, *batchSize, n, true)
			phn = phn.add(ph)
			return r, err
		},
		func(n int) (float64, error) {
			r, ph, err := env.writerThroughput(ctx, *batchSize, n, false)
			phc = phc.add(ph)
			return r, err
		},
		func(n int) (float64, error) { return env.shadowCeiling(ctx, *batchSize, n) },
		func(n int) (float64, error) { return env.rawCeiling(ctx, *batchSize, n) },
		func(n int) (float64, error) { return env.sourceShadowThroughput(ctx, *batchSize, n) },
	})
	if err != nil {
		fail(err)
	}
	bn, bc, shadowCeil, raw, src := got[0], got[1], got[2], got[3], got[4]
	s := summary{batch1Ratio: bn / b1, shadowCeilingRatio: bn / shadowCeil, sourceShadowCeilingRatio: src / raw, ceilingRatio: bn / raw,
		p99Lag: notRun, maxLag: notRun, maxRate: notRun}
	row := "%-50s %10.0f %7s  %s\n"
	fmt.Printf("\n%-50s %10s %7s  %s\n", "measurement", "records/s", "ratio", "(last-line field)")
	fmt.Printf(row, "writer, batch size 1, no speculation (Java protocol)", b1, "", "")
	fmt.Printf(row, fmt.Sprintf("writer, batch size %d", *batchSize), bn, ratio(s.batch1Ratio), "batch1_ratio: ÷ batch size 1")
	fmt.Printf(row, fmt.Sprintf("writer, batch size %d, no speculation", *batchSize), bc, ratio(bn/bc), "speculation's gain: writer ÷ this")
	fmt.Printf(row, fmt.Sprintf("Spanner side alone (shadow rows), batch size %d", *batchSize), shadowCeil, ratio(s.shadowCeilingRatio), "shadow_ceiling_ratio: writer ÷ this")
	fmt.Printf(row, "raw multi-row upserts, no shadow check", raw, ratio(s.ceilingRatio), "ceiling_ratio: writer ÷ this")
	fmt.Printf(row, fmt.Sprintf("writer, shadow in %s, batch size %d", targetName(), *batchSize), src, ratio(s.sourceShadowCeilingRatio), "source_shadow_ceiling_ratio: this ÷ raw")
	fmt.Printf("\nwhere the writer's time goes: batch size 1: %s\n", ph1)
	fmt.Printf("                              batch size %d: %s\n", *batchSize, phn)
	fmt.Printf("            batch size %d, no speculation: %s\n", *batchSize, phc)

	if !*skipE2E {
		if err := endToEndRuns(ctx, env, rates, &s); err != nil {
			fail(err)
		}
	}
	fmt.Println(s)
}

// endToEndRuns runs the --rate run and, unless rates is empty, the ramp,
// printing a row per run, and fills in their fields of s. A ramp step at
// --rate is the --rate run, not run again.
func endToEndRuns(ctx context.Context, env *env, rates []int, s *summary) error {
	fmt.Printf("\nend-to-end runs with shadowTableLocation=%s", *e2eShadow)
	fmt.Println(e2eHeader(*duration))
	show := func(label string, r e2eResult, ok bool) {
		if label == "ramp" && r.rate == *rate {
			fmt.Println(e2eRow(label, r, ok) + " (the rate run above, not run again)")
		} else {
			fmt.Println(e2eRow(label, r, ok))
			fmt.Println("       " + r.stages)
		}
		if float64(r.committed) < minCommittedFrac*float64(r.rate)*duration.Seconds() {
			fmt.Printf("       the generator committed only %.0f of the %d changes/s asked (the emulator, or the machine, did not take the rate)\n", r.committedRate(), r.rate)
		}
	}
	base, err := env.endToEnd(ctx, 0, *rate, *duration)
	if err != nil {
		return err
	}
	s.keptUp = sustained(base, *rate, *duration)
	s.p99Lag, s.maxLag = base.p99, base.max
	show("rate", base, s.keptUp)
	if len(rates) == 0 {
		return nil
	}
	run := 0
	s.maxRate, err = ramp(rates, func(r int) (bool, error) {
		if r == *rate {
			show("ramp", base, s.keptUp)
			return s.keptUp, nil
		}
		run++
		res, err := env.endToEnd(ctx, run, r, *duration)
		if err != nil {
			return false, err
		}
		ok := sustained(res, r, *duration)
		show("ramp", res, ok)
		return ok, nil
	})
	return err
}

// ratio prints a ratio of the table.
func ratio(x float64) string { return fmt.Sprintf("%.2f", x) }

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
