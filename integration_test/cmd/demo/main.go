// Command demo shows the pipeline at work on this machine, end to end: it
// starts the Cloud Spanner emulator and MariaDB when they are not running,
// creates a sharded sample shop in Spanner (customers, orders with a
// foreign key, products) with a change stream, the matching MySQL schema
// in two shard databases, a session file and a shard file; then it writes
// a workload into Spanner while the pipeline replicates it on prism,
// showing live progress, and ends with the template's own verification
// (runMode=verify) of every table.
// On exit (normal, failed, or Ctrl-C) it removes what it created: the
// Spanner databases (or the emulator it started), the MySQL databases and
// user, and its folder; --keep keeps them and says how to remove them.
// The last line is "mismatches: <n>"; the exit code is 3 when n > 0, 1 on
// an error and 130 when interrupted.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

var (
	duration     = flag.Duration("duration", 60*time.Second, "how long the pipeline replicates, at least 30s; the workload stops 15s before the end")
	rate         = flag.Float64("rate", 20, "transactions per second the workload writes into Spanner")
	keep         = flag.Bool("keep", false, "keep the databases, MySQL user, folder and emulator on exit, and print how to remove them")
	parentDir    = flag.String("dir", os.TempDir(), "where the run's folder (session file, shard file, DLQ, pipeline.log) is created")
	emulatorAddr = flag.String("emulator", "127.0.0.1:9010", "Spanner emulator address, started there when nothing listens; empty: a free port")
	mysqlAddr    = flag.String("mysql", "127.0.0.1:3306", "MySQL/MariaDB address; MariaDB is started when nothing listens on the default")
	mysqlRoot    = flag.String("mysql_root", "root", "MySQL account (empty password) that may create databases and users")
	targetKind   = flag.String("target", "mysql", "the shards' database: mysql (MariaDB) or postgresql")
	pgAddr       = flag.String("postgresql", "127.0.0.1:5432", "PostgreSQL address (--target=postgresql)")
	pgAdmin      = flag.String("postgresql_admin", "postgres", "PostgreSQL superuser (no password) that may create databases and roles")
	shadowIn     = flag.String("shadow", "metadata", "shadowTableLocation: metadata (shadow tables in the Spanner metadata database) or source (in each shard); the closing runMode=verify run uses the same")
)

// demoFlags are the flags --help lists, in this order; the Beam SDK's own
// flags are accepted too but the demo sets what it needs.
var demoFlags = []string{"duration", "rate", "keep", "dir", "emulator", "target", "mysql", "mysql_root", "postgresql", "postgresql_admin", "shadow"}

func usage() {
	w := flag.CommandLine.Output()
	fmt.Fprint(w, `Usage: bin/demo [flags]    (or: make demo DEMO_FLAGS='--duration=2m --rate=50')

Replicates a sample sharded shop from the Spanner emulator into two MariaDB
(or, with --target=postgresql, PostgreSQL) databases with the pipeline on
prism, shows live progress, verifies every row with runMode=verify, and
removes what it created on exit (also on failure and Ctrl-C).

Flags:
`)
	for _, name := range demoFlags {
		f := flag.Lookup(name)
		arg := "--" + name + "=" + f.DefValue
		if name == "keep" {
			arg = "--keep"
		}
		fmt.Fprintf(w, "  %-29s %s\n", arg, f.Usage)
	}
}

func main() {
	flag.Usage = usage
	flag.Parse()
	beam.Init()
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res := &resources{}
	n, logPath, err := run(ctx, res)
	interrupted := ctx.Err() != nil
	stopSignals() // from here a second Ctrl-C ends the process at once
	switch {
	case interrupted && *keep:
		fmt.Fprintln(os.Stderr, "\ninterrupted")
	case interrupted:
		fmt.Fprintln(os.Stderr, "\ninterrupted: cleaning up (Ctrl-C again to quit without cleaning up)")
	case err != nil:
		fmt.Fprintln(os.Stderr, "demo:", err)
		showLogTail(logPath, *keep)
	case n > 0 && !*keep:
		fmt.Println("run with --keep to keep the databases, DLQ and pipeline log for a closer look")
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cerr := res.release(cctx, *keep, os.Stdout)
	cancel()
	if cerr != nil {
		fmt.Fprintln(os.Stderr, "demo: cleanup:", cerr)
	}
	switch {
	case interrupted:
		os.Exit(130)
	case err != nil || cerr != nil:
		os.Exit(1)
	}
	fmt.Printf("mismatches: %d\n", n)
	if n > 0 {
		os.Exit(3)
	}
}

// logTailLines is how much of the pipeline log a failed run shows.
const logTailLines = 20

// showLogTail prints the end of the pipeline log to stderr: the folder
// holding it is about to be removed.
func showLogTail(path string, kept bool) {
	if path == "" {
		return
	}
	fh, err := os.Open(path)
	if err != nil {
		return
	}
	defer fh.Close()
	var tail []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		tail = append(tail, sc.Text())
		if len(tail) > logTailLines {
			tail = tail[1:]
		}
	}
	if len(tail) == 0 {
		return
	}
	fmt.Fprintf(os.Stderr, "last %d lines of %s:\n", len(tail), path)
	for _, l := range tail {
		fmt.Fprintln(os.Stderr, "  "+l)
	}
	if !kept {
		fmt.Fprintln(os.Stderr, "(run with --keep to keep the whole log, the DLQ and the databases)")
	}
}

// run sets up, replicates and verifies, registering in res everything it
// creates; it returns the number of mismatches and the pipeline log's path.
func run(ctx context.Context, res *resources) (mismatches int, logPath string, err error) {
	if *duration < 30*time.Second {
		return 0, "", fmt.Errorf("--duration %v: give the demo at least 30s", *duration)
	}
	if *targetKind != "mysql" && *targetKind != "postgresql" {
		return 0, "", fmt.Errorf("--target %q: mysql or postgresql", *targetKind)
	}
	// Unique per run, so that runs side by side do not meet: Spanner
	// database ids (at most 30 characters) and MySQL names derive from it.
	id := time.Now().Format("0102150405") + fmt.Sprintf("%03d", rand.IntN(1000))
	if err := os.MkdirAll(*parentDir, 0o755); err != nil {
		return 0, "", fmt.Errorf("--dir: %w", err)
	}
	workDir := filepath.Join(*parentDir, "revrepl-demo-"+id)
	if err := os.Mkdir(workDir, 0o755); err != nil {
		return 0, "", fmt.Errorf("--dir: %w", err)
	}
	res.addFolder(workDir)
	logPath = filepath.Join(workDir, "pipeline.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return 0, "", err
	}
	defer logFile.Close()
	// The pipeline's and prism's logs would drown the progress line.
	slog.SetDefault(slog.New(slog.NewTextHandler(logFile, nil)))
	n, err := replicate(ctx, res, id, workDir)
	return n, logPath, err
}

// replicate runs the demo proper in workDir.
func replicate(ctx context.Context, res *resources, id, workDir string) (int, error) {
	if *targetKind == "mysql" {
		if err := localenv.EnsureMariaDB(ctx, *mysqlAddr); err != nil {
			return 0, err
		}
	}
	start := localenv.StartEmulator
	if *keep {
		// A kept emulator must outlive the demo to be inspected.
		start = func(ctx context.Context, addr string, _ ...string) (*localenv.Emulator, error) {
			return localenv.StartDetachedEmulator(ctx, addr)
		}
	}
	emu, err := start(ctx, *emulatorAddr)
	if err != nil {
		return 0, err
	}
	res.addEmulator(emu)
	mainID, metaID := "shop"+id, "shopmeta"+id
	mainDB, err := emu.CreateDatabase(ctx, mainID, false, localenv.DemoSpannerDDL)
	if err != nil {
		return 0, err
	}
	res.addSpannerDatabase(emu, mainID)
	if _, err := emu.CreateDatabase(ctx, metaID, false, nil); err != nil {
		return 0, err
	}
	res.addSpannerDatabase(emu, metaID)
	fmt.Printf("Spanner emulator %s: database %s with change stream %s; metadata database %s\n", emu.Addr, mainID, localenv.DemoStream, metaID)

	shards, err := createShards(ctx, res, "revrepl_demo_"+id)
	if err != nil {
		return 0, err
	}
	shardFile, sessionFile, err := writeFiles(workDir, shards)
	if err != nil {
		return 0, err
	}
	dlqDir := filepath.Join(workDir, "dlq")
	fmt.Printf("folder %s: shards.json, session.json, dlq/, pipeline.log\n", workDir)

	begin := time.Now().UTC()
	values := params.Values{
		"changeStreamName": localenv.DemoStream, "instanceId": emu.Instance, "databaseId": mainID,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": metaID,
		"sourceType":           *targetKind,
		"sourceShardsFilePath": shardFile, "sessionFilePath": sessionFile,
		"startTimestamp": begin.Format(time.RFC3339Nano), "endTimestamp": begin.Add(*duration).Format(time.RFC3339Nano),
		"deadLetterQueueDirectory": dlqDir, "shadowTableLocation": *shadowIn,
	}
	cfg, err := params.Parse(values, time.Now())
	if err != nil {
		return 0, err
	}
	// Retry the retry directory every few seconds rather than every
	// dlqRetryMinutes, so that records waiting for a foreign key's parent
	// are applied within the demo.
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{RetryPoll: 5 * time.Second})
	if err != nil {
		return 0, err
	}
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		return 0, err
	}
	defer client.Close()

	pr, err := localenv.StartPrism(ctx)
	if err != nil {
		return 0, err
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	run := startRun(func() error {
		_, err := prism.Execute(ctx, p)
		return err
	})
	work := &localenv.DemoWorkload{Client: client, Rate: *rate, Seed: uint64(begin.UnixNano())}
	writes := make(chan error, 1)
	go func() { writes <- work.Run(ctx, *duration-15*time.Second) }()
	fmt.Printf("replicating for %v at about %.0f transactions/s (Ctrl-C stops and cleans up)\n", *duration, *rate)
	fmt.Println(strings.ReplaceAll(localenv.ProgressLegend, "MySQL", targetName()))

	if err := watch(ctx, pr, work, begin, run); err != nil {
		if ctx.Err() != nil {
			stopPipeline(pr, run)
		}
		return 0, fmt.Errorf("pipeline: %w", err)
	}
	if err := <-writes; err != nil {
		return 0, err
	}
	return verify(ctx, values, dlqDir)
}

// watch prints progress until the pipeline ends: one line rewritten in
// place on a terminal wide enough for it, a line every 5 s otherwise (CI
// logs, narrow terminals: a wrapped line cannot be rewritten in place).
func watch(ctx context.Context, pr *localenv.Prism, work *localenv.DemoWorkload, start time.Time, run *pipelineRun) error {
	tty := terminalWidth(os.Stdout) >= progressWidth
	every := 5 * time.Second
	if tty {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	show := func(final bool) {
		pg, err := pr.Progress(ctx)
		line := pg.Line(time.Since(start), work.Mutations.Load(), work.Transactions.Load())
		if err != nil {
			line = fmt.Sprintf("[%3.0fs] metrics unavailable: %v", time.Since(start).Seconds(), err)
		}
		if tty && !final {
			fmt.Printf("\r\033[K%s", line)
			return
		}
		if tty {
			fmt.Print("\r\033[K")
		}
		fmt.Println(line)
	}
	for {
		select {
		case <-run.Done():
			show(true)
			return run.Err()
		case <-ctx.Done():
			// Interrupted: do not wait for the pipeline to wind down.
			if tty {
				fmt.Println()
			}
			return ctx.Err()
		case <-tick.C:
			show(false)
		}
	}
}

// stopTimeout bounds how long an interrupted demo waits for its pipeline
// to stop before it cleans up.
const stopTimeout = 20 * time.Second

// stopPipeline cancels the interrupted pipeline and waits, up to
// stopTimeout, until it has stopped: cleaning up while it still writes
// would drop databases and remove the folder under it. A runner that
// returned already (watch saw it end) is not waited for. The error is
// printed too.
func stopPipeline(pr stopper, run *pipelineRun) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	err := pr.Stop(ctx)
	if err == nil {
		select {
		case <-run.Done():
		case <-ctx.Done():
			err = fmt.Errorf("the pipeline runner did not return: %w", ctx.Err())
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "stopping the pipeline (waited up to %v): %v; cleaning up anyway\n", stopTimeout, err)
		return err
	}
	fmt.Fprintln(os.Stderr, "pipeline stopped")
	return nil
}

// verify runs the template's own verification (runMode=verify) in this
// process, with the replication's parameters: every replicated table of
// Spanner, read at one timestamp and mapped as the writer maps it, against
// both shards. It prints the summary (one line per table and shard), lists
// the mismatches, and returns their number.
func verify(ctx context.Context, values params.Values, dlqDir string) (int, error) {
	for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
		l, err := localenv.ReadDLQ(dlqDir, sub)
		if err != nil {
			return 0, fmt.Errorf("reading the DLQ: %w", err)
		}
		fmt.Printf("DLQ %s: %d records\n", sub, len(l))
	}
	v := params.Values{}
	for k, x := range values {
		if k != params.StartTimestamp && k != params.EndTimestamp {
			v[k] = x
		}
	}
	v[params.RunMode] = params.RunModeVerify
	cfg, err := params.Parse(v, time.Now())
	if err != nil {
		return 0, err
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{VerifyRecheckWait: 30 * time.Second})
	if err != nil {
		return 0, err
	}
	fmt.Printf("verification (runMode=verify: Spanner at %s vs every shard, by primary key):\n", plan.Verify.At.Format(time.RFC3339))
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	if _, err := prism.Execute(ctx, p); err != nil {
		return 0, fmt.Errorf("verification pipeline: %w", err)
	}
	r, err := pipeline.ReadVerifyResult(ctx, plan.Verify.Out)
	if err != nil {
		return 0, err
	}
	for _, l := range r.Lines[:len(r.Lines)-1] {
		fmt.Printf("  %s\n", l)
	}
	listed, err := listMismatches(r.Dir)
	if err != nil {
		return 0, err
	}
	if n := int64(listed); n < r.Mismatches {
		fmt.Printf("    ... and %d more in %s\n", r.Mismatches-n, r.Dir)
	}
	return int(r.Mismatches), nil
}

// listMismatches prints up to maxListed lines of the run's mismatches
// files.
func listMismatches(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "mismatches-*.jsonl"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return n, err
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if n == maxListed {
				return n, nil
			}
			fmt.Printf("    mismatch: %s\n", l)
			n++
		}
	}
	return n, nil
}

// maxListed bounds the mismatches listed.
const maxListed = 20

func writeFiles(workDir string, shards *localenv.DemoShardSet) (shardFile, sessionFile string, err error) {
	shardFile = filepath.Join(workDir, "shards.json")
	if err := os.WriteFile(shardFile, shards.ShardFile, 0o600); err != nil {
		return "", "", err
	}
	session, err := localenv.DemoSession()
	if err != nil {
		return "", "", err
	}
	sessionFile = filepath.Join(workDir, "session.json")
	return shardFile, sessionFile, os.WriteFile(sessionFile, session, 0o644)
}
