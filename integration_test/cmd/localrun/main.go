// Command localrun replicates a sample Spanner database into MariaDB on the
// prism runner, entirely on this machine: it starts the Cloud Spanner
// emulator (or reuses one on --emulator), creates a sample schema with a
// change stream, a matching MySQL database and shard file, writes a sample
// workload while the pipeline runs, and ends by comparing both sides. The
// last line is "mismatches: <n>"; the exit code is non-zero when n > 0.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/template/params"
)

var (
	emulatorAddr = flag.String("emulator", "127.0.0.1:9010", "Spanner emulator address; started there when nothing listens")
	mysqlAddr    = flag.String("mysql", "127.0.0.1:3306", "MariaDB/MySQL address")
	mysqlRoot    = flag.String("mysql_root", "root", "MySQL account allowed to create databases and users (empty password)")
	duration     = flag.Duration("duration", 30*time.Second, "how long the pipeline reads the change stream")
	rows         = flag.Int64("rows", 50, "rows the sample workload inserts")
	workDir      = flag.String("dir", filepath.Join(os.TempDir(), "revrepl-local"), "where the shard file and DLQ go")
)

func main() {
	flag.Parse()
	beam.Init()
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	emu, err := localenv.StartEmulator(ctx, *emulatorAddr)
	if err != nil {
		return err
	}
	id := time.Now().Format("0102150405")
	mainID, metaID := "demo"+id, "demometa"+id
	mainDB, err := emu.CreateDatabase(ctx, mainID, false, localenv.SampleSpannerDDL)
	if err != nil {
		return err
	}
	if _, err := emu.CreateDatabase(ctx, metaID, false, nil); err != nil {
		return err
	}
	fmt.Printf("Spanner emulator %s: database %s (change stream %s), metadata database %s\n", emu.Addr, mainID, localenv.SampleStream, metaID)

	mydb, shardFile, err := prepareMySQL(ctx, "revrepl_demo_"+id)
	if err != nil {
		return err
	}
	defer mydb.Close()

	start := time.Now().UTC()
	cfg, err := params.Parse(params.Values{
		"changeStreamName": localenv.SampleStream, "instanceId": emu.Instance, "databaseId": mainID,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": metaID,
		"sourceShardsFilePath": shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp":             start.Add(*duration).Format(time.RFC3339Nano),
		"deadLetterQueueDirectory": filepath.Join(*workDir, "dlq"),
	}, time.Now())
	if err != nil {
		return err
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{})
	if err != nil {
		return err
	}
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		return err
	}
	defer client.Close()
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		pause := *duration / 2 / time.Duration(*rows*2)
		writes <- localenv.WriteSampleWorkload(ctx, client, *rows, pause)
	}()
	fmt.Printf("replicating for %s into MySQL database %s (shard file %s)...\n", *duration, "revrepl_demo_"+id, shardFile)
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	if _, err := beamx.RunWithMetrics(ctx, p); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := <-writes; err != nil {
		return fmt.Errorf("workload: %w", err)
	}
	mismatches, n, err := localenv.CompareSingers(ctx, client, mydb)
	if err != nil {
		return err
	}
	for _, m := range mismatches {
		fmt.Println("  mismatch:", m)
	}
	fmt.Printf("Singers: %d rows in Spanner compared with MySQL\n", n)
	fmt.Printf("mismatches: %d\n", len(mismatches))
	if len(mismatches) > 0 {
		os.Exit(3)
	}
	return nil
}

// prepareMySQL creates the sample MySQL database, an account for the
// pipeline, and the shard file.
func prepareMySQL(ctx context.Context, name string) (*sql.DB, string, error) {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User = "tcp", *mysqlAddr, *mysqlRoot
	root, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, "", err
	}
	defer root.Close()
	stmts := []string{
		"CREATE DATABASE `" + name + "`",
		"CREATE USER IF NOT EXISTS 'revrepl_local'@'%' IDENTIFIED BY 'revrepl-local'",
		"GRANT ALL ON `" + name + "`.* TO 'revrepl_local'@'%'",
		"USE `" + name + "`",
		localenv.SampleMySQLDDL,
	}
	conn, err := root.Conn(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("MariaDB at %s: %w (run `make services` to start it)", *mysqlAddr, err)
	}
	defer conn.Close()
	for _, st := range stmts {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			return nil, "", fmt.Errorf("MariaDB: %s: %w", st, err)
		}
	}
	c.DBName = name
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, "", err
	}
	host, port := "127.0.0.1", "3306"
	if h, p, err := net.SplitHostPort(*mysqlAddr); err == nil {
		host, port = h, p
	}
	shards := map[string]any{"shardConfigs": []map[string]string{{
		"logicalShardId": "", "host": host, "port": port, "user": "revrepl_local", "password": "revrepl-local", "dbName": name,
	}}}
	b, _ := json.MarshalIndent(shards, "", "  ")
	if err := os.MkdirAll(*workDir, 0o755); err != nil {
		return nil, "", err
	}
	path := filepath.Join(*workDir, "shards.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, "", err
	}
	return db, path, nil
}
