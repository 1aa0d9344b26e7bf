package mapping

// Names says which source table and columns a Spanner table and its
// columns correspond to. It is plain data so that it travels to the workers
// inside the DoFns. The zero value is the identity mapping.
//
// It comes from one of: nothing (identity), a spanner-migration-tool session
// file (pure/session), or table/column overrides
// (pure/overrides).
type Names struct {
	// Tables holds the Spanner tables whose names are given explicitly,
	// keyed by Spanner table name.
	Tables map[string]TableNames `json:"tables,omitempty"`
	// Listed means the mapping is exhaustive, as a session file is: a
	// Spanner table or column it does not list does not exist at the
	// source. Otherwise (identity, overrides) an unlisted name maps to the
	// same name.
	Listed bool `json:"listed,omitempty"`
	// Origin names where the mapping came from, for messages, e.g.
	// "session file gs://b/session.json".
	Origin string `json:"origin,omitempty"`
}

// TableNames is the source side of one Spanner table.
type TableNames struct {
	// Source is the source table's name.
	Source string `json:"source"`
	// Columns maps Spanner column names to source column names.
	Columns map[string]string `json:"columns,omitempty"`
	// ShardIDColumn is the Spanner column holding the logical shard id of
	// each row (a session file's ShardIdColumn), "" when there is none.
	ShardIDColumn string `json:"shardIdColumn,omitempty"`
	// SyntheticKey is the Spanner column that spanner-migration-tool added
	// as primary key because the source table had none; it only explains
	// launch warnings.
	SyntheticKey string `json:"syntheticKey,omitempty"`
}

// SourceTable returns the source table name of a Spanner table, or false
// when the mapping says it has none.
func (n Names) SourceTable(spannerTable string) (string, bool) {
	if t, ok := n.Tables[spannerTable]; ok {
		return t.Source, t.Source != ""
	}
	if n.Listed {
		return "", false
	}
	return spannerTable, true
}

// SourceColumn returns the source column name of a Spanner column, or false
// when the mapping says it has none. explicit reports that the name was
// given rather than implied by identity; an explicit rename wins over an
// identical name.
func (n Names) SourceColumn(spannerTable, spannerColumn string) (name string, explicit, ok bool) {
	if c, found := n.Tables[spannerTable].Columns[spannerColumn]; found {
		return c, true, c != ""
	}
	if n.Listed {
		return "", false, false
	}
	return spannerColumn, false, true
}

// ShardIDColumn returns the shard-id column of a Spanner table, if any.
func (n Names) ShardIDColumn(spannerTable string) (string, bool) {
	c := n.Tables[spannerTable].ShardIDColumn
	return c, c != ""
}
