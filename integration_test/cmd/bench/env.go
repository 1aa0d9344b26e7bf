package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	mysqltarget "github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

var (
	benchSpannerDDL = []string{
		`CREATE TABLE Bench (Id INT64 NOT NULL, Name STRING(100), Qty INT64, Price FLOAT64, Active BOOL, SentAt STRING(64)) PRIMARY KEY (Id)`,
		`CREATE CHANGE STREAM benchstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '1d')`,
	}
	benchMySQLDDL = "CREATE TABLE Bench (Id BIGINT PRIMARY KEY, Name VARCHAR(100), Qty BIGINT, Price DOUBLE, " +
		"Active TINYINT(1), SentAt VARCHAR(64))"
	benchSpanner = schema.Spanner{Dialect: "GOOGLE_STANDARD_SQL", Tables: map[string]schema.SpannerTable{"Bench": {
		Name: "Bench", PrimaryKey: []schema.KeyPart{{Column: "Id"}}, Columns: []schema.SpannerColumn{
			{Name: "Id", Type: "INT64"}, {Name: "Name", Type: "STRING(100)"}, {Name: "Qty", Type: "INT64"},
			{Name: "Price", Type: "FLOAT64"}, {Name: "Active", Type: "BOOL"}, {Name: "SentAt", Type: "STRING(64)"},
		}}}}
)

type env struct {
	emu *localenv.Emulator
	id  string
	// db is the writer's pool, the template's own (on MariaDB
	// mysql.Acquire, on PostgreSQL postgresql.Acquire); check, a plain
	// pool of the driver's, reads the target (the end-to-end poller) and
	// takes the raw upserts, pollSQL being its query.
	db, check *sql.DB
	pollSQL   string
	// upsert builds the raw multi-row upsert of the target.
	upsert  func(table string, cols, keys []string, rows [][]any) (string, []any, error)
	cleanup func()
	dbName  string
	// shard is the target database as the shard file has it.
	shard     target.Shard
	meta      *spanner.Client
	applier   *apply.Applier
	nextKey   int64
	shardFile string
}

func newEnv(ctx context.Context, emu *localenv.Emulator) (*env, error) {
	if *targetKind == "postgresql" {
		return newPGEnv(ctx, emu)
	}
	e := &env{emu: emu, id: time.Now().Format("0102150405"), nextKey: 1, pollSQL: "SELECT Id, SentAt FROM Bench WHERE Id >= ?",
		upsert: func(table string, cols, keys []string, rows [][]any) (string, []any, error) {
			st, err := dml.Upsert(table, cols, keys, rows)
			return st.SQL, st.Args, err
		}}
	e.dbName = "revrepl_bench_" + e.id
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User = "tcp", *mysqlAddr, "root"
	root, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, err
	}
	defer root.Close()
	for _, st := range []string{
		"CREATE DATABASE `" + e.dbName + "`",
		"CREATE USER IF NOT EXISTS 'revrepl_bench'@'%' IDENTIFIED BY 'revrepl-bench'",
		"GRANT ALL ON `" + e.dbName + "`.* TO 'revrepl_bench'@'%'",
	} {
		if _, err := root.ExecContext(ctx, st); err != nil {
			return nil, fmt.Errorf("MariaDB at %s: %s: %w", *mysqlAddr, st, err)
		}
	}
	c.DBName = e.dbName
	c.InterpolateParams = true
	if e.check, err = sql.Open("mysql", c.FormatDSN()); err != nil {
		return nil, err
	}
	if _, err := e.check.ExecContext(ctx, benchMySQLDDL); err != nil {
		return nil, err
	}
	if err := e.openMeta(ctx); err != nil {
		return nil, err
	}
	src := schema.Source{Tables: map[string]schema.SourceTable{"Bench": {Name: "Bench", PrimaryKey: []string{"Id"}, Columns: []schema.SourceColumn{
		{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"}, {Name: "Name", DataType: "varchar", ColumnType: "varchar(100)", MaxLength: 100},
		{Name: "Qty", DataType: "bigint", ColumnType: "bigint(20)"}, {Name: "Price", DataType: "double", ColumnType: "double"},
		{Name: "Active", DataType: "tinyint", ColumnType: "tinyint(1)"}, {Name: "SentAt", DataType: "varchar", ColumnType: "varchar(64)", MaxLength: 64},
	}}}}
	e.applier = &apply.Applier{Meta: e.meta, ShadowPrefix: "shadow_", Spanner: benchSpanner,
		Mapper: mapping.Mapper{Spanner: benchSpanner, Source: src, TZ: time.UTC, Values: convert.Values{}}, Target: mysqltarget.Target{}}

	host, port, _ := net.SplitHostPort(*mysqlAddr)
	e.shard = target.Shard{Host: host, Port: target.Port(port), User: "revrepl_bench", Password: "revrepl-bench", DBName: e.dbName}
	// The writer's pool is the template's own (connections, timeouts,
	// round trips), as in the pipeline.
	w, release, err := mysqltarget.Acquire(e.shard, 4)
	if err != nil {
		return nil, err
	}
	e.db = w
	e.cleanup = func() { release(); e.check.Close() }
	b, _ := json.Marshal(map[string]any{"shardConfigs": []target.Shard{e.shard}})
	dir, err := os.MkdirTemp("", "revrepl-bench")
	if err != nil {
		return nil, err
	}
	e.shardFile = filepath.Join(dir, "shards.json")
	return e, os.WriteFile(e.shardFile, b, 0o600)
}

// openMeta creates the metadata database with Bench's shadow table, made
// by the DDL the launch uses (shadow.CreateDDL).
func (e *env) openMeta(ctx context.Context) error {
	ddl, err := shadow.CreateDDL("shadow_", benchSpanner.Tables["Bench"], false)
	if err != nil {
		return err
	}
	metaPath, err := e.emu.CreateDatabase(ctx, "benchmeta"+e.id, false, []string{ddl})
	if err != nil {
		return err
	}
	e.meta, err = spanner.NewClient(ctx, metaPath)
	return err
}

func (e *env) close() {
	if e.cleanup != nil {
		e.cleanup()
	} else {
		e.db.Close()
	}
	e.meta.Close()
}

// records makes n insert records for fresh keys.
func (e *env) records(n int) []record.Record {
	out := make([]record.Record, n)
	now := time.Now()
	for i := range out {
		id := e.nextKey
		e.nextKey++
		out[i] = record.Record{
			CommitTimestamp: record.FromTime(now.Add(time.Duration(i) * time.Microsecond)),
			RecordSequence:  "00000000", TableName: "Bench", ModType: record.ModInsert,
			Mod: record.ModJSON{
				KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, id), OldValuesJSON: "{}",
				NewValuesJSON: fmt.Sprintf(`{"Name":"name-%d","Qty":"%d","Price":%d.25,"Active":true,"SentAt":"x"}`, id, id*3, id),
			},
		}
	}
	return out
}

// phases splits the writer's time: the shadow read (Spanner), the target's
// transaction, and the shadow write and commit (Spanner).
type phases struct{ read, mysql, commit time.Duration }

// writerThroughput applies n records in batches of size through the
// shadow-checked writer and returns records per second and where the time
// went.
func (e *env) writerThroughput(ctx context.Context, size, n int, speculate bool) (float64, phases, error) {
	recs := e.records(n)
	e.applier.NoSpeculation = !speculate
	defer func() { e.applier.NoSpeculation = false }()
	var ph phases
	var t0, tRead, tMySQL time.Time
	e.applier.Hooks.AfterShadowRead = func() error { tRead = time.Now(); return nil }
	e.applier.Hooks.AfterMySQLCommit = func() error { tMySQL = time.Now(); return nil }
	defer func() { e.applier.Hooks = apply.Hooks{} }()
	start := time.Now()
	for i := 0; i < n; i += size {
		t0 = time.Now()
		out, err := e.applier.Apply(ctx, e.db, recs[i:min(n, i+size)])
		if err != nil {
			return 0, ph, fmt.Errorf("batch size %d: %w", size, err)
		}
		if len(out.Failed) > 0 {
			return 0, ph, fmt.Errorf("batch size %d: %v", size, out.Failed[0].Err)
		}
		ph.read += tRead.Sub(t0)
		ph.mysql += tMySQL.Sub(tRead)
		ph.commit += time.Since(tMySQL)
	}
	return float64(n) / time.Since(start).Seconds(), ph, nil
}

func (p phases) add(q phases) phases {
	return phases{read: p.read + q.read, mysql: p.mysql + q.mysql, commit: p.commit + q.commit}
}

func (p phases) String() string {
	total := p.read + p.mysql + p.commit
	pc := func(d time.Duration) float64 { return 100 * d.Seconds() / total.Seconds() }
	return fmt.Sprintf("shadow read %.0f%%, %s %.0f%%, shadow write+commit %.0f%%", pc(p.read), targetName(), pc(p.mysql), pc(p.commit))
}
