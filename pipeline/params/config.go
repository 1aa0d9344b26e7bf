package params

import (
	"strings"
	"time"
)

// Config is the validated, typed form of all launch parameters.
type Config struct {
	ChangeStreamName     string
	InstanceID           string
	DatabaseID           string
	SpannerProjectID     string
	MetadataInstance     string
	MetadataDatabase     string
	SourceShardsFilePath string

	StartTimestamp time.Time // the launch time when startTimestamp is empty
	// StartTimestampGiven tells a relaunch that means "resume" (empty) from
	// one that names a start, which must then match the first launch's.
	StartTimestampGiven bool
	EndTimestamp        time.Time // zero when empty: replicate until stopped

	ShadowTablePrefix string
	// ShadowTableLocation is ShadowInMetadata or ShadowInSource.
	ShadowTableLocation string
	SessionFilePath     string
	FiltrationMode      string

	ShardingCustomJarPath    string
	ShardingCustomClassName  string
	ShardingCustomParameters string

	SourceDbTimezoneOffset string
	SourceDbTimezone       *time.Location // time.FixedZone for SourceDbTimezoneOffset

	DlqGcsPubSubSubscription string
	SkipDirectoryName        string
	MaxShardConnections      int64
	// DeadLetterQueueDirectory is kept empty when not given, because its
	// default depends on the job's temp location, which is a pipeline option
	// this package does not see; see ResolveDeadLetterQueueDirectory.
	DeadLetterQueueDirectory string
	DlqMaxRetryCount         int64
	RunMode                  string
	DlqRetryMinutes          int64

	SourceType                     string
	TransformationJarPath          string
	TransformationClassName        string
	TransformationCustomParameters string
	FilterEventsDirectoryName      string

	ChangeStreamMetadataDatabase string // already MetadataDatabase when empty
	SpannerMetadataTableName     string // empty: let the change stream reader generate one
	TableOverrides               string
	ColumnOverrides              string
	SchemaOverridesFilePath      string
	IsShardedMigration           bool
	SpannerPriority              string
	// LogLevel is the logLevel parameter, upper case: DEBUG, INFO, WARN
	// (also for WARNING) or ERROR.
	LogLevel string
	// ExtraFilesToStage is the comma-separated list as given.
	ExtraFilesToStage  string
	DisabledAlgorithms string
	// VerifyTimestamp is verifyTimestamp, zero when empty (runMode=verify
	// then reads at the launch time).
	VerifyTimestamp time.Time
	VerifyRepair    bool
}

// ResolveDeadLetterQueueDirectory returns the dead-letter queue directory,
// always ending in "/": the configured one, or dlq/ under tempLocation.
func (c *Config) ResolveDeadLetterQueueDirectory(tempLocation string) string {
	switch {
	case c.DeadLetterQueueDirectory != "":
		return withSlash(c.DeadLetterQueueDirectory)
	case tempLocation == "":
		return "dlq/"
	default:
		return withSlash(tempLocation) + "dlq/"
	}
}

func withSlash(s string) string {
	if strings.HasSuffix(s, "/") {
		return s
	}
	return s + "/"
}
