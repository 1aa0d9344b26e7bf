package routing

// Tables is what routing needs to know about a Spanner table from the name
// mapping (identity, session file or overrides). It is the interface
// agreed with the session-file mapping: the launch asks the mapping both
// questions for every Spanner table and freezes the answers in a
// StaticTables, which travels to the workers as plain data.
type Tables interface {
	// ShardIDColumn names the Spanner column whose value is the table's
	// logical shard id.
	ShardIDColumn(spannerTable string) (column string, ok bool)
	// AtSource reports whether the table exists in the source database.
	AtSource(spannerTable string) bool
}

// StaticTables is a Tables computed at launch.
type StaticTables struct {
	// ShardIDColumns maps Spanner table names to shard-id column names.
	ShardIDColumns map[string]string `json:"shardIdColumns"`
	// SourceTables holds the Spanner tables that exist at the source.
	SourceTables map[string]bool `json:"sourceTables"`
}

// ShardIDColumn implements Tables.
func (s StaticTables) ShardIDColumn(t string) (string, bool) {
	c, ok := s.ShardIDColumns[t]
	return c, ok && c != ""
}

// AtSource implements Tables.
func (s StaticTables) AtSource(t string) bool { return s.SourceTables[t] }
