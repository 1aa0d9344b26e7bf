// Command demo shows the pipeline at work on this machine, end to end: it
// starts the Cloud Spanner emulator and MariaDB when they are not running,
// creates a sharded sample shop in Spanner (customers, orders with a
// foreign key, products) with a change stream, the matching MySQL schema
// in two shard databases, a session file and a shard file; then it writes
// a workload into Spanner while the pipeline replicates it on prism,
// showing live progress, and ends by comparing every table row by row.
// The last line is "mismatches: <n>"; the exit code is non-zero when n > 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/template/params"
)

var (
	emulatorAddr = flag.String("emulator", "127.0.0.1:9010", "Spanner emulator address; one is started there when nothing listens (empty: on a free port)")
	mysqlAddr    = flag.String("mysql", "127.0.0.1:3306", "MariaDB/MySQL address; MariaDB is started (scripts/services.sh) when nothing listens on the default")
	mysqlRoot    = flag.String("mysql_root", "root", "MySQL account (empty password) allowed to create databases and users")
	duration     = flag.Duration("duration", 60*time.Second, "how long the pipeline replicates; the workload stops 15 s before, so the last changes are applied")
	rate         = flag.Float64("rate", 20, "workload transactions per second")
	workDir      = flag.String("dir", filepath.Join(os.TempDir(), "revrepl-demo"), "where the session file, shard file, DLQ and pipeline log go")
)

func main() {
	flag.Parse()
	beam.Init()
	n, err := run(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Printf("mismatches: %d\n", n)
	if n > 0 {
		os.Exit(3)
	}
}

func run(ctx context.Context) (int, error) {
	if *duration < 30*time.Second {
		return 0, fmt.Errorf("--duration %v: give the demo at least 30s", *duration)
	}
	if err := os.MkdirAll(*workDir, 0o755); err != nil {
		return 0, err
	}
	logPath := filepath.Join(*workDir, "pipeline.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return 0, err
	}
	defer logFile.Close()
	// The pipeline's and prism's logs would drown the progress line.
	slog.SetDefault(slog.New(slog.NewTextHandler(logFile, nil)))

	if err := localenv.EnsureMariaDB(ctx, *mysqlAddr); err != nil {
		return 0, err
	}
	emu, err := localenv.StartEmulator(ctx, *emulatorAddr)
	if err != nil {
		return 0, err
	}
	id := time.Now().Format("0102150405")
	mainID, metaID := "shop"+id, "shopmeta"+id
	mainDB, err := emu.CreateDatabase(ctx, mainID, false, localenv.DemoSpannerDDL)
	if err != nil {
		return 0, err
	}
	if _, err := emu.CreateDatabase(ctx, metaID, false, nil); err != nil {
		return 0, err
	}
	fmt.Printf("Spanner emulator %s: database %s with change stream %s; metadata database %s\n", emu.Addr, mainID, localenv.DemoStream, metaID)

	shards, err := localenv.CreateDemoShards(ctx, *mysqlAddr, *mysqlRoot, "revrepl_demo_"+id)
	if err != nil {
		return 0, err
	}
	defer shards.Close()
	for _, s := range shards.Shards {
		fmt.Printf("MySQL shard %s: database %s on %s\n", s.ID, shards.DBName[s.ID], *mysqlAddr)
	}
	shardFile, sessionFile, err := writeFiles(shards)
	if err != nil {
		return 0, err
	}
	dlqDir := filepath.Join(*workDir, "dlq-"+id)
	fmt.Printf("shard file %s, session file %s, DLQ %s, pipeline log %s\n", shardFile, sessionFile, dlqDir, logPath)

	start := time.Now().UTC()
	cfg, err := params.Parse(params.Values{
		"changeStreamName": localenv.DemoStream, "instanceId": emu.Instance, "databaseId": mainID,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": metaID,
		"sourceShardsFilePath": shardFile, "sessionFilePath": sessionFile,
		"startTimestamp": start.Format(time.RFC3339Nano), "endTimestamp": start.Add(*duration).Format(time.RFC3339Nano),
		"deadLetterQueueDirectory": dlqDir,
	}, time.Now())
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
	done := make(chan error, 1)
	go func() {
		_, err := prism.Execute(ctx, p)
		done <- err
	}()
	work := &localenv.DemoWorkload{Client: client, Rate: *rate, Seed: uint64(start.UnixNano())}
	writes := make(chan error, 1)
	go func() { writes <- work.Run(ctx, *duration-15*time.Second) }()
	fmt.Printf("replicating for %v at about %.0f transactions/s...\n", *duration, *rate)

	if err := watch(ctx, pr, work, start, done); err != nil {
		return 0, fmt.Errorf("pipeline: %w", err)
	}
	if err := <-writes; err != nil {
		return 0, err
	}
	return verify(ctx, client, shards, dlqDir)
}

// watch prints progress until the pipeline ends: one line rewritten in
// place on a terminal, a line every 5 s otherwise (CI logs).
func watch(ctx context.Context, pr *localenv.Prism, work *localenv.DemoWorkload, start time.Time, done <-chan error) error {
	fi, _ := os.Stdout.Stat()
	tty := fi != nil && fi.Mode()&os.ModeCharDevice != 0
	every := 5 * time.Second
	if tty {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	show := func(final bool) {
		pg, err := pr.Progress(ctx)
		line := fmt.Sprintf("[%3.0fs] written %d txns | %v", time.Since(start).Seconds(), work.Transactions.Load(), pg)
		if err != nil {
			line = fmt.Sprintf("[%3.0fs] written %d txns | metrics unavailable: %v", time.Since(start).Seconds(), work.Transactions.Load(), err)
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
		case err := <-done:
			show(true)
			return err
		case <-tick.C:
			show(false)
		}
	}
}

// verify compares every table of both shards with Spanner, lists what
// differs (with the DLQ's reason when the DLQ holds the record) and
// returns the number of mismatches.
func verify(ctx context.Context, client *spanner.Client, shards *localenv.DemoShardSet, dlqDir string) (int, error) {
	lines, err := localenv.ReadDLQ(dlqDir, "")
	if err != nil {
		return 0, fmt.Errorf("reading the DLQ: %w", err)
	}
	for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
		l, err := localenv.ReadDLQ(dlqDir, sub)
		if err != nil {
			return 0, err
		}
		fmt.Printf("DLQ %s: %d records\n", sub, len(l))
	}
	fmt.Println("verification (every primary key, Spanner vs MySQL):")
	total := 0
	for _, t := range localenv.DemoTables {
		rows, mm, err := localenv.CompareTable(ctx, client, shards.Shards, t)
		if err != nil {
			return 0, err
		}
		fmt.Printf("  %-10s %5d rows compared, %d mismatches\n", t.Name, rows, len(mm))
		unexplained := map[string]bool{}
		for _, m := range localenv.Unexplained(mm, lines) {
			unexplained[m.String()] = true
		}
		for i, m := range mm {
			if i == maxListed {
				fmt.Printf("    ... and %d more\n", len(mm)-maxListed)
				break
			}
			note := "  (the DLQ holds this record with its error)"
			if unexplained[m.String()] {
				note = ""
			}
			fmt.Printf("    mismatch: %v%s\n", m, note)
		}
		total += len(mm)
	}
	return total, nil
}

// maxListed bounds the mismatches listed per table.
const maxListed = 20

func writeFiles(shards *localenv.DemoShardSet) (shardFile, sessionFile string, err error) {
	shardFile = filepath.Join(*workDir, "shards.json")
	if err := os.WriteFile(shardFile, shards.ShardFile, 0o600); err != nil {
		return "", "", err
	}
	session, err := localenv.DemoSession()
	if err != nil {
		return "", "", err
	}
	sessionFile = filepath.Join(*workDir, "session.json")
	return shardFile, sessionFile, os.WriteFile(sessionFile, session, 0o644)
}
