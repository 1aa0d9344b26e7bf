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
	SourceType: func(v string) string {
		if v != SourceMySQL && v != SourcePostgreSQL {
			return "the supported source databases are mysql and postgresql"
		}
		return ""
	},
}

func always(reason string) func(string) string {
	return func(string) string { return reason }
}
