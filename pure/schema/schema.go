// Package schema describes the two sides of a replication: the Spanner tables
// that the change stream reports and the MySQL tables that receive the rows.
// It holds plain data only, so every stage (and every worker, through DoFn
// serialisation) can carry it without I/O.
package schema

import (
	"fmt"
	"strings"
)

// SpannerColumn is one column of a Spanner table as information_schema reports it.
type SpannerColumn struct {
	Name string `json:"name"`
	// Type is the Spanner type as written in DDL, e.g. "INT64", "STRING(MAX)",
	// "ARRAY<STRING(10)>", or a PostgreSQL-dialect type such as "bigint".
	Type string `json:"type"`
	// Generated marks a generated column; stored generated columns appear in
	// change records, virtual ones do not.
	Generated bool `json:"generated,omitempty"`
	// Nullable is information_schema's IS_NULLABLE. Spanner allows NULL in
	// key columns; the shadow table copies the setting.
	Nullable bool `json:"nullable,omitempty"`
}

// KeyPart is one primary-key column of a Spanner table, in key order.
type KeyPart struct {
	Column string `json:"column"`
	Desc   bool   `json:"desc,omitempty"`
}

// SpannerTable is a Spanner table of the change stream's database.
type SpannerTable struct {
	Name       string          `json:"name"`
	Columns    []SpannerColumn `json:"columns"`
	PrimaryKey []KeyPart       `json:"primaryKey"`
}

// Column returns the named column, or false.
func (t SpannerTable) Column(name string) (SpannerColumn, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return SpannerColumn{}, false
}

// Spanner is the schema of the change stream's database, keyed by table name.
type Spanner struct {
	// Dialect is "GOOGLE_STANDARD_SQL" or "POSTGRESQL".
	Dialect string                  `json:"dialect"`
	Tables  map[string]SpannerTable `json:"tables"`
}

// IsPostgres reports whether the database uses the PostgreSQL dialect.
func (s Spanner) IsPostgres() bool { return s.Dialect == "POSTGRESQL" }

// SourceColumn is one column of a MySQL table, from information_schema.COLUMNS.
type SourceColumn struct {
	Name string `json:"name"`
	// DataType is information_schema.COLUMNS.DATA_TYPE, lower case, e.g. "varchar".
	DataType string `json:"dataType"`
	// ColumnType is information_schema.COLUMNS.COLUMN_TYPE, e.g. "int(10) unsigned",
	// "tinyint(1)", "enum('a','b')".
	ColumnType string `json:"columnType"`
	Nullable   bool   `json:"nullable,omitempty"`
	// Generated marks a VIRTUAL or STORED generated column, never written.
	Generated bool `json:"generated,omitempty"`
	// MaxLength is CHARACTER_MAXIMUM_LENGTH (0 when not applicable).
	MaxLength int64 `json:"maxLength,omitempty"`
	// Members are the labels of a PostgreSQL enum type, in order (MySQL's
	// ENUM and SET members are part of ColumnType).
	Members []string `json:"members,omitempty"`
}

// Unsigned reports whether a numeric column is UNSIGNED.
func (c SourceColumn) Unsigned() bool {
	return strings.Contains(strings.ToLower(c.ColumnType), "unsigned")
}

// SourceTable is a MySQL table.
type SourceTable struct {
	Name       string         `json:"name"`
	Columns    []SourceColumn `json:"columns"`
	PrimaryKey []string       `json:"primaryKey"`
	// UniqueKeys are the unique indexes other than the primary key.
	UniqueKeys []UniqueKey `json:"uniqueKeys,omitempty"`
}

// UniqueKey is a unique index of a MySQL table, columns in index order.
type UniqueKey struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
}

// Column returns the named column, or false.
func (t SourceTable) Column(name string) (SourceColumn, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return SourceColumn{}, false
}

// Source is the schema of a MySQL database, keyed by table name.
type Source struct {
	Tables map[string]SourceTable `json:"tables"`
}

// KeyColumns are the columns of t's primary key, in key order.
func (t SourceTable) KeyColumns() ([]SourceColumn, error) {
	if len(t.PrimaryKey) == 0 {
		return nil, fmt.Errorf("table %s has no primary key", t.Name)
	}
	pk := make([]SourceColumn, len(t.PrimaryKey))
	for i, n := range t.PrimaryKey {
		c, ok := t.Column(n)
		if !ok {
			return nil, fmt.Errorf("table %s: primary key column %s is not among its columns", t.Name, n)
		}
		pk[i] = c
	}
	return pk, nil
}
