package params

// ============================================================================
// NOT SUPPORTED YET
//
// This table is the only place that switches off parameter values the Go port
// does not implement yet. Parse rejects them at launch with
//
//	<name>: value "<v>" is not supported yet: <reason>
//
// instead of silently ignoring them. When a feature lands, delete its entry
// here (and the matching case in TestNotSupportedYet); nothing else changes.
// The functions only see well-formed, non-empty values.
// ============================================================================

var notYet = map[string]func(value string) string{
	SessionFilePath: always("session-file mapping is not implemented in this build yet"),

	ShardingCustomJarPath:   always("custom sharding modules are not implemented in this build yet"),
	ShardingCustomClassName: always("custom sharding is not implemented in this build yet"),

	TransformationJarPath:   always("custom transformation modules are not implemented in this build yet"),
	TransformationClassName: always("custom transformations are not implemented in this build yet"),

	TableOverrides:          always("table name overrides are not implemented in this build yet"),
	ColumnOverrides:         always("column name overrides are not implemented in this build yet"),
	SchemaOverridesFilePath: always("schema override files are not implemented in this build yet"),

	IsShardedMigration: func(v string) string {
		if v == "true" {
			return "sharded routing of a single-shard configuration is not implemented in this build yet"
		}
		return ""
	},

	SourceType: func(v string) string {
		if v != SourceMySQL {
			return "only mysql is supported as a source database"
		}
		return ""
	},
}

func always(reason string) func(string) string {
	return func(string) string { return reason }
}
