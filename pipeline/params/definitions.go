package params

import "slices"

// Parameter names. Use these constants instead of string literals so that a
// renamed parameter breaks the build rather than silently reading "".
const (
	ChangeStreamName               = "changeStreamName"
	InstanceID                     = "instanceId"
	DatabaseID                     = "databaseId"
	SpannerProjectID               = "spannerProjectId"
	MetadataInstance               = "metadataInstance"
	MetadataDatabase               = "metadataDatabase"
	SourceShardsFilePath           = "sourceShardsFilePath"
	StartTimestamp                 = "startTimestamp"
	EndTimestamp                   = "endTimestamp"
	ShadowTablePrefix              = "shadowTablePrefix"
	ShadowTableLocation            = "shadowTableLocation"
	SessionFilePath                = "sessionFilePath"
	FiltrationMode                 = "filtrationMode"
	ShardingCustomJarPath          = "shardingCustomJarPath"
	ShardingCustomClassName        = "shardingCustomClassName"
	ShardingCustomParameters       = "shardingCustomParameters"
	SourceDbTimezoneOffset         = "sourceDbTimezoneOffset"
	DlqGcsPubSubSubscription       = "dlqGcsPubSubSubscription"
	SkipDirectoryName              = "skipDirectoryName"
	MaxShardConnections            = "maxShardConnections"
	DeadLetterQueueDirectory       = "deadLetterQueueDirectory"
	DlqMaxRetryCount               = "dlqMaxRetryCount"
	RunMode                        = "runMode"
	DlqRetryMinutes                = "dlqRetryMinutes"
	SourceType                     = "sourceType"
	TransformationJarPath          = "transformationJarPath"
	TransformationClassName        = "transformationClassName"
	TransformationCustomParameters = "transformationCustomParameters"
	FilterEventsDirectoryName      = "filterEventsDirectoryName"
	ChangeStreamMetadataDatabase   = "changeStreamMetadataDatabase"
	SpannerMetadataTableName       = "spannerMetadataTableName"
	TableOverrides                 = "tableOverrides"
	ColumnOverrides                = "columnOverrides"
	SchemaOverridesFilePath        = "schemaOverridesFilePath"
	IsShardedMigration             = "isShardedMigration"
	SpannerPriority                = "spannerPriority"
	LogLevel                       = "logLevel"
	ExtraFilesToStage              = "extraFilesToStage"
	DisabledAlgorithms             = "disabledAlgorithms"
	VerifyTimestamp                = "verifyTimestamp"
	VerifyRepair                   = "verifyRepair"
)

// Values of the enum parameters, exported so pipeline code can switch on them.
const (
	FiltrationNone             = "none"
	FiltrationForwardMigration = "forward_migration"

	RunModeRegular     = "regular"
	RunModeRetryDLQ    = "retryDLQ"
	RunModeRetryAllDLQ = "retryAllDLQ"
	RunModeVerify      = "verify"

	SourceMySQL      = "mysql"
	SourcePostgreSQL = "postgresql"
	SourceCassandra  = "cassandra"
	SourceSpanner    = "spanner"
	SourceOracle     = "oracle"

	ShadowInMetadata = "metadata"
	ShadowInSource   = "source"

	PriorityLow    = "LOW"
	PriorityMedium = "MEDIUM"
	PriorityHigh   = "HIGH"
)

// Regexes shared by several parameters. They are written in the subset of
// syntax that Go and Java (which Dataflow uses to check metadata.json) read
// the same way.
const (
	rePositive    = `^[0-9]*[1-9][0-9]*$`
	reNonNegative = `^[0-9]+$`
	reDirName     = `^[^/]+$`
	reIdentOrNone = `^([A-Za-z][A-Za-z0-9_]{0,127})?$`
	reTimestamp   = `^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$`
)

// definitions is the one table every output is generated from. The order is
// the order of the README table, the launch command and metadata.json:
// required parameters first, then the rest in the order of the user guide.
var definitions = []Param{
	{
		Name:      ChangeStreamName,
		Label:     "Change stream name",
		HelpText:  "Name of the Spanner change stream to replicate from. The stream should watch every table to be replicated and use value_capture_type 'NEW_ROW'.",
		Required:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      InstanceID,
		Label:     "Spanner instance ID",
		HelpText:  "Spanner instance that holds the replicated database and its change stream.",
		Required:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      DatabaseID,
		Label:     "Spanner database ID",
		HelpText:  "Spanner database whose changes are written back to the source database.",
		Required:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      SpannerProjectID,
		Label:     "Spanner project ID",
		HelpText:  "Google Cloud project of both the replicated Spanner database and the metadata database.",
		Required:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      MetadataInstance,
		Label:     "Metadata instance ID",
		HelpText:  "Spanner instance of the metadata database.",
		Required:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      MetadataDatabase,
		Label:     "Metadata database ID",
		HelpText:  "Spanner database that holds the shadow tables and, unless changeStreamMetadataDatabase is set, the change stream reader's partition metadata.",
		Required:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      SourceShardsFilePath,
		Label:     "Source shards file",
		HelpText:  "Path (gs://bucket/object or a local path) of the JSON file that lists the source database shards and how to connect to them.",
		Required:  true,
		Kind:      String,
		ParamType: "GCS_READ_FILE",
		Check:     filePath,
	},
	{
		Name:      StartTimestamp,
		Label:     "Start timestamp",
		HelpText:  "RFC 3339 timestamp (for example 2024-05-01T10:00:00Z) of the first change to replicate, inclusive. Empty means the moment the job is launched.",
		Kind:      Timestamp,
		Regexes:   []string{reTimestamp},
		ParamType: "TEXT",
	},
	{
		Name:      EndTimestamp,
		Label:     "End timestamp",
		HelpText:  "RFC 3339 timestamp of the last change to replicate, inclusive; it must not be before the start timestamp. Empty means the job keeps replicating until it is stopped.",
		Kind:      Timestamp,
		Regexes:   []string{reTimestamp},
		ParamType: "TEXT",
	},
	{
		Name:      ShadowTablePrefix,
		Label:     "Shadow table prefix",
		HelpText:  "Prefix of the shadow tables created in the metadata database, which remember the commit timestamp last applied to each row. Letters, digits and underscores, starting with a letter.",
		Default:   "shadow_",
		Advanced:  true,
		Kind:      String,
		Regexes:   []string{`^[A-Za-z][A-Za-z0-9_]*$`},
		ParamType: "TEXT",
		Check:     shadowPrefix,
	},
	{
		// Not a parameter of the Java template, which always keeps the
		// shadow tables in the metadata database.
		Name:      ShadowTableLocation,
		Label:     "Shadow table location",
		HelpText:  "Where the shadow tables live: metadata (the metadata database in Spanner, as the Java template does) or source (a table per replicated table in each shard's own database, created at launch, checked and written in the same transaction as the change, so that the job writes nothing to Spanner but the change stream's metadata). source needs the shard user to be allowed to create tables.",
		Default:   ShadowInMetadata,
		Advanced:  true,
		Kind:      Enum,
		Enum:      []string{ShadowInMetadata, ShadowInSource},
		ParamType: "ENUM",
	},
	{
		Name:      SessionFilePath,
		Label:     "Session file",
		HelpText:  "Path (gs:// or local) of a Spanner migration tool session file, used to map Spanner table and column names to source names and to find the shard ID column. Cannot be combined with tableOverrides, columnOverrides or schemaOverridesFilePath.",
		Kind:      String,
		ParamType: "GCS_READ_FILE",
		Check:     filePath,
	},
	{
		Name:      FiltrationMode,
		Label:     "Filtration mode",
		HelpText:  "forward_migration drops changes that the forward migration job itself wrote to Spanner (recognised by their transaction tag), so they do not echo back to the source; none replicates every change.",
		Default:   FiltrationForwardMigration,
		Kind:      Enum,
		Enum:      []string{FiltrationNone, FiltrationForwardMigration},
		ParamType: "ENUM",
	},
	{
		Name:      ShardingCustomJarPath,
		Label:     "Custom sharding module",
		HelpText:  "Path (gs:// or local) of a WebAssembly module (.wasm) that decides which logical shard a change goes to. In this Go port it replaces the Java template's JAR. Requires shardingCustomClassName.",
		Advanced:  true,
		Kind:      String,
		ParamType: "GCS_READ_FILE",
		Check:     filePath,
	},
	{
		Name:      ShardingCustomClassName,
		Label:     "Custom sharding function",
		HelpText:  "With shardingCustomJarPath: the name of the function exported by that module that returns the shard ID. Without it: the name of a sharding implementation compiled into this template.",
		Advanced:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      ShardingCustomParameters,
		Label:     "Custom sharding parameters",
		HelpText:  "Free-form string handed unchanged to the custom sharding implementation when it starts.",
		Advanced:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      SourceDbTimezoneOffset,
		Label:     "Source database time zone offset",
		HelpText:  "UTC offset, as +HH:MM or -HH:MM, in which the source database stores DATETIME and TIMESTAMP values; Spanner timestamps are converted to it.",
		Default:   "+00:00",
		Kind:      Offset,
		Regexes:   []string{`^[+-](0[0-9]|1[0-4]):[0-5][0-9]$`},
		ParamType: "TEXT",
	},
	{
		Name:      DlqGcsPubSubSubscription,
		Label:     "Dead-letter queue Pub/Sub subscription",
		HelpText:  "Subscription (projects/<project>/subscriptions/<subscription>) that receives Cloud Storage OBJECT_FINALIZE notifications for the retry/ folder of the dead-letter queue directory. When set in regular mode, retries are driven by these notifications instead of polling every dlqRetryMinutes.",
		Advanced:  true,
		Kind:      Subscription,
		Regexes:   []string{`^(projects/[^/]+/subscriptions/[^/]+)?$`},
		ParamType: "PUBSUB_SUBSCRIPTION",
	},
	{
		Name:      SkipDirectoryName,
		Label:     "Skip directory name",
		HelpText:  "Folder, directly under the dead-letter queue directory, that receives changes deliberately not replicated (for example for tables missing at the source). A custom sharding implementation can return this name as the shard ID to skip a change.",
		Default:   "skip",
		Advanced:  true,
		Kind:      String,
		Regexes:   []string{reDirName},
		ParamType: "TEXT",
		Check:     dirName,
	},
	{
		Name:      MaxShardConnections,
		Label:     "Maximum connections per shard",
		HelpText:  "Upper limit on open connections to each source shard, summed over all workers; each worker gets this number divided by the maximum worker count.",
		Default:   "10000",
		Kind:      Int,
		Regexes:   []string{rePositive},
		ParamType: "NUMBER",
		Check:     positive,
	},
	{
		Name:      DeadLetterQueueDirectory,
		Label:     "Dead-letter queue directory",
		HelpText:  "Directory (gs:// or local) where changes that could not be applied are kept, in the retry/ and severe/ folders. Empty means dlq/ under the job's temporary location.",
		Kind:      String,
		ParamType: "GCS_WRITE_FOLDER",
		Check:     dirPath,
	},
	{
		Name:      DlqMaxRetryCount,
		Label:     "Maximum dead-letter queue retries",
		HelpText:  "How many times a change that failed with a temporary error is retried from the dead-letter queue before it is moved to severe/. 0 retries forever.",
		Default:   "500",
		Kind:      Int,
		Regexes:   []string{reNonNegative},
		ParamType: "NUMBER",
		Check:     nonNegative,
	},
	{
		Name:      RunMode,
		Label:     "Run mode",
		HelpText:  "regular replicates the change stream and retries temporary failures; retryDLQ is a batch job that re-processes the severe/ folder once and exits; retryAllDLQ re-processes severe/ and keeps retrying retry/, and must not run alongside a regular job; verify is a batch job that compares every replicated table of Spanner at verifyTimestamp with the shards and writes the differences under verify/ beside the dead-letter queue directory.",
		Default:   RunModeRegular,
		Kind:      Enum,
		Enum:      []string{RunModeRegular, RunModeRetryDLQ, RunModeRetryAllDLQ, RunModeVerify},
		ParamType: "ENUM",
	},
	{
		Name:      DlqRetryMinutes,
		Label:     "Dead-letter queue retry interval (minutes)",
		HelpText:  "Minutes between two scans of the retry/ folder of the dead-letter queue directory. Not used when dlqGcsPubSubSubscription is set.",
		Default:   "10",
		Kind:      Int,
		Regexes:   []string{rePositive},
		ParamType: "NUMBER",
		Check:     positive,
	},
	{
		Name:      SourceType,
		Label:     "Source database type",
		HelpText:  "Kind of database the changes are written to: mysql (MySQL or MariaDB) or postgresql (PostgreSQL; a shard's namespace field names the schema of its tables, public by default).",
		Default:   SourceMySQL,
		Kind:      Enum,
		Enum:      []string{SourceMySQL, SourcePostgreSQL, SourceCassandra, SourceSpanner, SourceOracle},
		ParamType: "ENUM",
	},
	{
		Name:      TransformationJarPath,
		Label:     "Custom transformation module",
		HelpText:  "Path (gs:// or local) of a WebAssembly module (.wasm) that rewrites or filters rows before they are written to the source. In this Go port it replaces the Java template's JAR. Requires transformationClassName.",
		Advanced:  true,
		Kind:      String,
		ParamType: "GCS_READ_FILE",
		Check:     filePath,
	},
	{
		Name:      TransformationClassName,
		Label:     "Custom transformation function",
		HelpText:  "With transformationJarPath: the name of the function exported by that module that transforms a row. Without it: the name of a transformation compiled into this template.",
		Advanced:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      TransformationCustomParameters,
		Label:     "Custom transformation parameters",
		HelpText:  "Free-form string handed unchanged to the custom transformation when it starts.",
		Advanced:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      FilterEventsDirectoryName,
		Label:     "Filtered events directory name",
		HelpText:  "Folder, directly under the dead-letter queue directory, reserved for changes that a custom transformation filters out.",
		Default:   "skip",
		Advanced:  true,
		Kind:      String,
		Regexes:   []string{reDirName},
		ParamType: "TEXT",
		Check:     dirName,
	},
	{
		Name:      ChangeStreamMetadataDatabase,
		Label:     "Change stream metadata database ID",
		HelpText:  "Spanner database, in metadataInstance, for the change stream reader's partition metadata only. Empty means metadataDatabase.",
		Advanced:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      SpannerMetadataTableName,
		Label:     "Change stream metadata table name",
		HelpText:  "Name of the change stream reader's partition metadata table. Set it to the previous job's table name to carry progress over when replacing a job. Empty means a generated name.",
		Kind:      String,
		Regexes:   []string{reIdentOrNone},
		ParamType: "TEXT",
		Check:     spannerIdentifier,
	},
	{
		Name:      TableOverrides,
		Label:     "Table name overrides",
		HelpText:  "Table renames as pairs of source and Spanner names, for example [{Singers, Vocalists}, {Albums, Records}]. gcloud splits --parameters on commas, so pass it as --parameters \"^~^tableOverrides=[...]\". Cannot be combined with sessionFilePath or schemaOverridesFilePath.",
		Advanced:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      ColumnOverrides,
		Label:     "Column name overrides",
		HelpText:  "Column renames as pairs of source and Spanner names, each qualified with the source table name, for example [{Singers.SingerName, Singers.TalentName}]. Pass it with gcloud's ^~^ delimiter like tableOverrides. Cannot be combined with sessionFilePath or schemaOverridesFilePath.",
		Advanced:  true,
		Kind:      String,
		ParamType: "TEXT",
	},
	{
		Name:      SchemaOverridesFilePath,
		Label:     "Schema overrides file",
		HelpText:  "Path (gs:// or local) of a JSON file with table and column renames between source and Spanner. Cannot be combined with sessionFilePath, tableOverrides or columnOverrides.",
		Advanced:  true,
		Kind:      String,
		ParamType: "GCS_READ_FILE",
		Check:     filePath,
	},
	{
		Name:      IsShardedMigration,
		Label:     "Sharded migration",
		HelpText:  "Set to true when the source is sharded even though the shards file lists a single shard, so changes are routed by shard ID as with several shards.",
		Default:   "false",
		Advanced:  true,
		Kind:      Bool,
		Regexes:   []string{`^(true|false)$`},
		ParamType: "BOOLEAN",
	},
	{
		Name:      SpannerPriority,
		Label:     "Spanner request priority",
		HelpText:  "Priority of every request the job sends to Spanner: LOW, MEDIUM or HIGH.",
		Default:   PriorityHigh,
		Advanced:  true,
		Kind:      Enum,
		Enum:      []string{PriorityLow, PriorityMedium, PriorityHigh},
		ParamType: "ENUM",
	},
	{
		// Not a parameter of the Java template, whose workers take
		// --defaultWorkerLogLevel as a pipeline option instead.
		Name:      LogLevel,
		Label:     "Log level",
		HelpText:  "Lowest level of the events the job logs: DEBUG, INFO, WARN or ERROR (any case). DEBUG adds per-batch events and full partition tokens; use it for a while to debug a deployed job.",
		Default:   "INFO",
		Kind:      String,
		Regexes:   []string{`^(?i)(debug|info|warn|warning|error)$`},
		ParamType: "TEXT",
		Check:     logLevel,
	},
	{
		Name:      ExtraFilesToStage,
		Label:     "Extra files to stage",
		HelpText:  "Comma-separated Cloud Storage paths (gs://bucket/object; local paths for local runs) of files copied to /extra_files/ on each worker and on the launcher before they connect to the shards, for example the CA certificate (PEM) of shards with their own CA, named in connectionProperties as sslrootcert=/extra_files/ca.pem or trustCertificateKeyStoreUrl=file:/extra_files/ca.pem. Gcloud splits --parameters on commas: pass several files with the ^~^ delimiter.",
		Kind:      String,
		ParamType: "TEXT",
		Check:     extraFiles,
		Advanced:  true,
	},
	{
		Name:      DisabledAlgorithms,
		Label:     "Disabled TLS algorithms",
		HelpText:  "Comma-separated TLS protocol versions and algorithms the connections to the shards must not use, in the form of Java's jdk.tls.disabledAlgorithms, for example SSLv3, TLSv1, TLSv1.1, RC4, 3DES_EDE_CBC, RSA keySize < 2048. Empty or none disables nothing beyond what Go never uses (SSL, TLS 1.0 and 1.1, RC4, DES, 3DES, NULL and anonymous suites, MD5 signatures). Unknown names are refused. Gcloud splits --parameters on commas: pass it with the ^~^ delimiter.",
		Kind:      String,
		ParamType: "TEXT",
		Check:     disabledAlgorithms,
		Advanced:  true,
	},
	{
		Name:      VerifyTimestamp,
		Label:     "Verification timestamp",
		HelpText:  "With runMode=verify: RFC 3339 timestamp at which Spanner is read and compared with the shards. Empty means the moment the job is launched. It must lie within the database's version retention period.",
		Kind:      Timestamp,
		Regexes:   []string{reTimestamp},
		ParamType: "TEXT",
		Advanced:  true,
	},
	{
		Name:      VerifyRepair,
		Label:     "Repair differences found by verification",
		HelpText:  "With runMode=verify: also write the current Spanner row (or a delete) of every key that differs into the retry/ folder of the dead-letter queue directory, so that the regular job (or retryAllDLQ) applies it again through the shadow tables.",
		Default:   "false",
		Advanced:  true,
		Kind:      Bool,
		Regexes:   []string{`^(true|false)$`},
		ParamType: "BOOLEAN",
	},
}

// Definitions returns every parameter in documentation order. The result is a
// copy, so callers may modify it freely.
func Definitions() []Param {
	out := make([]Param, len(definitions))
	for i, p := range definitions {
		p.Enum = slices.Clone(p.Enum)
		p.Regexes = slices.Clone(p.Regexes)
		p.NotSupportedYet = notYet[p.Name]
		out[i] = p
	}
	return out
}
