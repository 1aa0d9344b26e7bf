// Package pipeline turns validated parameters into a running job: Check
// does the launch-time work (schemas, shadow tables, partition metadata,
// shard checks) so that problems surface as launch errors, Build adds the
// Beam graph, and Prepared.Take takes the partition metadata table just before
// the job is submitted (Prepare is Check and Take at once).
package pipeline

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/emulator"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/apiv1/spannerpb"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerschema"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// Env is what the job gets from outside the template's own parameters.
type Env struct {
	// TempLocation is the job's temp location (--temp_location), under
	// which the DLQ goes when deadLetterQueueDirectory is not set.
	TempLocation string
	// Runner is --runner ("" = the default, prism).
	Runner string
	// MaxWorkers is --max_num_workers, NumWorkers --num_workers and
	// AutoscalingAlgorithm --autoscaling_algorithm (0 and "" = not given);
	// Workers turns them into the count the shard connection budget is
	// shared by.
	MaxWorkers           int64
	NumWorkers           int64
	AutoscalingAlgorithm string
	// Endpoint is --endpoint (a portable runner's job service, "" when
	// prism starts in this process) and EnvironmentType
	// --environment_type; Workers reads them to tell a run in this
	// process from one on a portable runner.
	Endpoint        string
	EnvironmentType string
	// Tuning knobs, zero for defaults.
	BatchSize         int
	QueryWindowMillis int64
	PollMillis        int64
	HeartbeatMillis   int64
	// RetryPoll overrides dlqRetryMinutes (tests).
	RetryPoll time.Duration
	// VerifyRecheckWait and VerifyRowsPerRange override the verify run
	// mode's defaults (transforms.DefaultRecheckWait,
	// DefaultRowsPerRange); VerifyRunTime names the run's directory
	// (default: the launch time).
	VerifyRecheckWait  time.Duration
	VerifyRowsPerRange int
	VerifyRunTime      time.Time
	// ChangeStreamEndpoint, when set, sends the change-stream queries
	// there without authentication (tests: a fake Spanner server).
	ChangeStreamEndpoint string
}

// Prepared is everything Build needs, resolved at launch.
type Prepared struct {
	Read       changestream.Config
	Filtration string
	Complete   transforms.CompleteConfig
	Assign     transforms.AssignConfig
	Write      transforms.WriteConfig
	// ReadStream is false in the DLQ-only run modes.
	ReadStream bool
	// DLQ is the dead-letter queue, the one value every stage is given.
	DLQ transforms.DeadLetterConfig
	// DLQ re-consumption: RetryPoll > 0 polls retry/ that often;
	// SevereFiles are severe/ files to re-process once.
	RetryPoll  time.Duration
	RetryUntil time.Time // zero: poll forever
	// Subscription delivers storage notifications of new retry files.
	Subscription string
	SevereFiles  []string
	// Resumed reports that partition state of an earlier job was found.
	Resumed bool
	// ShadowTablesCreated lists the shadow tables created at this launch.
	ShadowTablesCreated []string
	// Workers is how many workers share maxShardConnections; PoolSize in
	// Write is each worker's share. Workers.Assumed is a launch warning.
	Workers WorkerCount
	// MappingWarnings say which tables will not replicate fully, and why
	// (also logged at launch).
	MappingWarnings []string

	// Verify, set in runMode=verify, is the whole job: Build adds the
	// verification graph instead of the replication.
	Verify *transforms.VerifyConfig

	// launch takes the partition metadata table (Take); nil without a
	// change stream.
	launch *changestream.Pending
}

// Take takes the partition metadata table for this job, as the generation
// that Prepare put in Read: from then on a job still running on the table
// stops (see package meta). It is the launch's last step, after every
// check and just before the job is submitted, and is skipped by a dry
// run: a launch that fails takes nothing from a running job.
func (p *Prepared) Take(ctx context.Context) error {
	if p.launch == nil {
		return nil
	}
	if _, err := p.launch.Take(ctx); err != nil {
		return err
	}
	p.launch = nil
	return nil
}

// Defaults for the tuning knobs.
//
// DefaultQueryWindowMillis bounds the lag the reader adds. A partition is
// read in windows, one query each, and what a window emits reaches the
// writer only once the window's query has ended: runners commit a
// bundle's output when its element returns or checkpoints (prism and
// Dataflow alike), and the emulator, run with one scan per query (see
// localenv.EmulatorArgs), returns a window's records at its end. A change
// therefore waits half a window on average, a whole one at worst. At
// 2,000 ms the bench's median lag was 2.6-2.8 s; at 500 ms 0.9-1.2 s on
// the same machine. A window costs one query and one checkpoint per
// partition, so two a second per partition at 500 ms.
const (
	DefaultBatchSize         = 256
	DefaultQueryWindowMillis = 500
	DefaultPollMillis        = 1000
	DefaultHeartbeatMillis   = 1000
)

func dbPath(project, instance, db string) string {
	return fmt.Sprintf("projects/%s/instances/%s/databases/%s", project, instance, db)
}

// Prepare is Check and then Prepared.Take, for a caller that runs the job
// right away.
func Prepare(ctx context.Context, cfg *params.Config, env Env) (*Prepared, error) {
	plan, err := Check(ctx, cfg, env)
	if err != nil {
		return nil, err
	}
	if err := plan.Take(ctx); err != nil {
		return nil, err
	}
	return plan, nil
}

// Check checks the environment and sets up the metadata database. It takes
// nothing from a job still running on the partition metadata table:
// Prepared.Take does, as the last step before the job is submitted.
func Check(ctx context.Context, cfg *params.Config, env Env) (*Prepared, error) {
	// Against the emulator, retries of aborted transactions back off at
	// most emulator.AbortBackoffMax (see package emulator).
	emulator.Use()
	env = withDefaults(env)
	// Without a temp location (a local run) the DLQ is ./dlq/.
	dlqDir := cfg.ResolveDeadLetterQueueDirectory(env.TempLocation)

	sh, err := prepareShards(ctx, cfg, env)
	if err != nil {
		return nil, err
	}
	// Connecting as the writer does, with the session time zone of
	// sourceDbTimezoneOffset, reports a zone the server refuses at launch.
	first := sh.shards[0]
	first.TimeZone = cfg.SourceDbTimezoneOffset
	source, err := sh.target.ReadSchema(ctx, first)
	if err != nil {
		return nil, err
	}

	mainDB := dbPath(cfg.SpannerProjectID, cfg.InstanceID, cfg.DatabaseID)
	metaDB := dbPath(cfg.SpannerProjectID, cfg.MetadataInstance, cfg.MetadataDatabase)
	csMetaDB := dbPath(cfg.SpannerProjectID, cfg.MetadataInstance, cfg.ChangeStreamMetadataDatabase)
	priority := spannerpb.RequestOptions_Priority_value["PRIORITY_"+cfg.SpannerPriority]

	mainClient, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", mainDB, err)
	}
	defer mainClient.Close()
	sp, err := spannerschema.Read(ctx, mainClient)
	if err != nil {
		return nil, dataTarget(cfg).explain(fmt.Errorf("reading the schema of %s: %w", mainDB, err))
	}
	readStream := cfg.RunMode == params.RunModeRegular
	// With ChangeStreamEndpoint (tests) another server serves the stream.
	if readStream && env.ChangeStreamEndpoint == "" {
		if err := checkStreamExists(ctx, mainClient, cfg); err != nil {
			return nil, err
		}
	}
	inSource := cfg.ShadowTableLocation == params.ShadowInSource
	if inSource {
		source = withoutSourceShadows(source, cfg.ShadowTablePrefix, sp)
	}
	rp, err := prepareRecordProcessing(ctx, cfg, sp, source, sh.target.Values())
	if err != nil {
		return nil, err
	}
	// The rights on the tables the job writes, now that they are known.
	if err := target.CheckTables(ctx, sh.target, sh.shards, rp.written); err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: %w", cfg.SourceShardsFilePath, err)
	}

	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to the Spanner database admin API: %w", err)
	}
	defer admin.Close()
	var created []string
	if inSource {
		// The shards hold the shadow rows: the job writes nothing to the
		// metadata database but the change stream's partition metadata.
		created, err = ensureSourceShadowTables(ctx, sh.target, sh.shards, cfg.SourceDbTimezoneOffset,
			sourceShadowTables(cfg.ShadowTablePrefix, sp, rp.tables))
		if err != nil {
			return nil, fmt.Errorf("sourceShardsFilePath %s: %w", cfg.SourceShardsFilePath, err)
		}
	} else if created, err = ensureShadowTables(ctx, admin, metaDB, cfg.ShadowTablePrefix, sp); err != nil {
		return nil, metadataTarget(cfg).explain(err)
	}

	table := cfg.SpannerMetadataTableName
	if table == "" {
		table = changestream.DefaultTableName(cfg.DatabaseID, cfg.ChangeStreamName)
	}
	read := changestream.Config{
		Database: mainDB, Stream: cfg.ChangeStreamName, Postgres: sp.IsPostgres(),
		MetadataDatabase: csMetaDB, MetadataTable: table, Priority: priority,
		HeartbeatMillis: env.HeartbeatMillis, QueryWindowMillis: env.QueryWindowMillis, PollMillis: env.PollMillis,
		EndNanos: endNanos(cfg), DataEndpoint: env.ChangeStreamEndpoint,
	}
	var launch *changestream.Pending
	if readStream {
		// Checked only: the table is taken by Prepared.Take.
		launch, err = changestream.CheckLaunch(ctx, admin, &read, cfg.StartTimestamp, cfg.StartTimestampGiven)
		if err != nil {
			return nil, changeStreamMetadataTarget(cfg).explain(err)
		}
	}
	var dlqPlan dlqPlan
	if cfg.RunMode != params.RunModeVerify {
		if dlqPlan, err = planDLQ(ctx, cfg, dlqDir, env); err != nil {
			return nil, err
		}
	}

	dead := deadLetterConfig(cfg, dlqDir, readStream)
	var verify *transforms.VerifyConfig
	if cfg.RunMode == params.RunModeVerify {
		verify = verifyConfig(cfg, env, sp, source, rp, sh, dlqDir, mainDB, metaDB, csMetaDB, table, priority)
	}
	return &Prepared{
		Verify:       verify,
		Read:         read,
		ReadStream:   readStream,
		DLQ:          dead,
		RetryPoll:    dlqPlan.RetryPoll,
		RetryUntil:   retryUntil(cfg),
		Subscription: dlqSubscription(cfg),
		SevereFiles:  dlqPlan.SevereFiles,
		Filtration:   cfg.FiltrationMode,
		Complete: transforms.CompleteConfig{
			Target: cfg.SourceType, Database: mainDB, Priority: priority,
			Spanner: sp, Source: source, Names: rp.names,
			Routing: sh.single == "", Tables: rp.tables, Transform: rp.transformation.IsSet(),
			DLQ: dead,
		},
		Assign: transforms.AssignConfig{
			Single: sh.single, Buckets: cfg.MaxShardConnections * int64(len(sh.shards)), Shards: sh.ids(),
			Tables: rp.tables, Custom: sh.custom, Spanner: sp, DLQ: dead,
		},
		Write: transforms.WriteConfig{
			Target:     cfg.SourceType,
			ShardsFile: cfg.SourceShardsFilePath, MetadataDatabase: metaDB, ShadowPrefix: cfg.ShadowTablePrefix,
			ShadowInSource: inSource,
			Spanner:        sp, Source: source, TimezoneOffset: cfg.SourceDbTimezoneOffset, Priority: priority,
			BatchSize: env.BatchSize, PoolSize: sh.poolSize,
			DLQ: dead, Names: rp.names, Transformation: rp.transformation,
			ExtraFiles: cfg.ExtraFilesToStage, DisabledAlgorithms: cfg.DisabledAlgorithms,
		},
		Workers:             sh.workers,
		MappingWarnings:     rp.warnings,
		Resumed:             launch != nil && launch.Preview.Resumed,
		ShadowTablesCreated: created,
		launch:              launch,
	}, nil
}

func withDefaults(env Env) Env {
	if env.BatchSize <= 0 {
		env.BatchSize = DefaultBatchSize
	}
	if env.QueryWindowMillis <= 0 {
		env.QueryWindowMillis = DefaultQueryWindowMillis
	}
	if env.PollMillis <= 0 {
		env.PollMillis = DefaultPollMillis
	}
	if env.HeartbeatMillis <= 0 {
		env.HeartbeatMillis = DefaultHeartbeatMillis
	}
	return env
}

func ensureShadowTables(ctx context.Context, admin *database.DatabaseAdminClient, metaDB, prefix string, sp schema.Spanner) ([]string, error) {
	meta, err := spanner.NewClient(ctx, metaDB)
	if err != nil {
		return nil, fmt.Errorf("connecting to metadata database %s: %w", metaDB, err)
	}
	defer meta.Close()
	ro := meta.ReadOnlyTransaction()
	dialect, err := spannerschema.Dialect(ctx, ro)
	ro.Close()
	if err != nil {
		return nil, fmt.Errorf("metadata database %s: %w", metaDB, err)
	}
	names := make([]string, 0, len(sp.Tables))
	for n := range sp.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	tables := make([]schema.SpannerTable, len(names))
	for i, n := range names {
		tables[i] = sp.Tables[n]
	}
	return shadow.Ensure(ctx, admin, meta, metaDB, dialect == "POSTGRESQL", prefix, tables)
}

// endNanos is endTimestamp for the change-stream reader.
func endNanos(cfg *params.Config) int64 {
	if cfg.EndTimestamp.IsZero() {
		return changestream.Unbounded
	}
	return cfg.EndTimestamp.UnixNano()
}

// retryUntil ends retry polling with a bounded stream: the last poll comes
// right after endTimestamp.
func retryUntil(cfg *params.Config) time.Time {
	if cfg.RunMode != params.RunModeRegular || cfg.EndTimestamp.IsZero() {
		return time.Time{}
	}
	return cfg.EndTimestamp
}

// dlqSubscription is the notification subscription, used only where retry/
// is consumed beside the change stream (regular mode), as in the Java
// template.
func dlqSubscription(cfg *params.Config) string {
	if cfg.RunMode != params.RunModeRegular {
		return ""
	}
	return cfg.DlqGcsPubSubSubscription
}
