package transforms

import (
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// VerifyConfig configures runMode=verify: the regular job's view of the
// data (schemas, name mapping, routing, custom transformation, time zone),
// the read timestamp, and where results go. It holds shard ids, never
// connection details: workers read the shard file.
type VerifyConfig struct {
	// Target is the kind of target database (sourceType).
	Target string
	// Database is the change stream's database, read at At.
	Database string
	Priority int32
	At       time.Time
	Spanner  schema.Spanner
	Source   schema.Source
	Names    mapping.Names
	// TimezoneOffset is sourceDbTimezoneOffset: values are mapped, and
	// read back, in this zone.
	TimezoneOffset string
	// Routing, as the regular job's shard assignment: Single receives
	// everything, otherwise Shards by the shard-id column or Custom.
	Single  string
	Shards  []string
	Tables  routing.StaticTables
	Custom  plugin.Spec
	SkipDir string
	// Transformation is the custom transformation, if any.
	Transformation plugin.Spec
	// The shards, read on the workers.
	ShardsFile         string
	ExtraFiles         string
	DisabledAlgorithms string
	PoolSize           int
	// RowsPerRange sizes the key ranges a target table is read in.
	RowsPerRange int
	// MetadataDatabase holds the shadow tables (prefix ShadowPrefix),
	// unless ShadowInSource (shadowTableLocation=source) puts them in
	// each shard; WatermarkDatabase and WatermarkTable the regular job's
	// applied watermark (the partition metadata table).
	MetadataDatabase  string
	ShadowPrefix      string
	ShadowInSource    bool
	WatermarkDatabase string
	WatermarkTable    string
	// RecheckWait bounds the wait for the applied watermark to pass At
	// before keys that looked in flight are read again.
	RecheckWait time.Duration
	// Out is the directory of this run's results (verify/<run time>/
	// beside the DLQ directory); DLQRoot receives repairs under retry/
	// when Repair is set.
	Out     string
	DLQRoot string
	Repair  bool
}

// DefaultRowsPerRange is how many rows one read of a target table covers.
const DefaultRowsPerRange = 50000

// DefaultRecheckWait is the default bound of the wait for the applied
// watermark.
const DefaultRecheckWait = 5 * time.Minute
