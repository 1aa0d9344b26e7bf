package shadow

import (
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// Base type names each dialect's DDL accepts (lower case, arguments
// dropped). A key column type already valid in the metadata database's
// dialect is kept as written.
var (
	googleSQLTypes = map[string]bool{"int64": true, "string": true, "bool": true, "float64": true, "float32": true,
		"numeric": true, "bytes": true, "date": true, "timestamp": true, "json": true, "uuid": true}
	postgresTypes = map[string]bool{"bigint": true, "int8": true, "character varying": true, "varchar": true, "text": true,
		"boolean": true, "bool": true, "double precision": true, "float8": true, "real": true, "float4": true,
		"numeric": true, "decimal": true, "bytea": true, "date": true, "timestamp with time zone": true,
		"timestamptz": true, "jsonb": true, "uuid": true}
)

// Spellings of each type in the other dialect.
var (
	googleSQLSpelling = map[string]string{spannertype.CodeInt64: "INT64", spannertype.CodeString: "STRING(MAX)", spannertype.CodeBool: "BOOL",
		spannertype.CodeFloat64: "FLOAT64", spannertype.CodeFloat32: "FLOAT32", spannertype.CodeNumeric: "NUMERIC", spannertype.CodeBytes: "BYTES(MAX)",
		spannertype.CodeDate: "DATE", spannertype.CodeTimestamp: "TIMESTAMP", spannertype.CodeJSON: "JSON", spannertype.CodeUUID: "UUID"}
	postgresSpelling = map[string]string{spannertype.CodeInt64: "bigint", spannertype.CodeString: "character varying", spannertype.CodeBool: "boolean",
		spannertype.CodeFloat64: "double precision", spannertype.CodeFloat32: "real", spannertype.CodeNumeric: "numeric", spannertype.CodeBytes: "bytea",
		spannertype.CodeDate: "date", spannertype.CodeTimestamp: "timestamp with time zone", spannertype.CodeJSON: "jsonb", spannertype.CodeUUID: "uuid"}
)

// keyColumnType is the type of a shadow key column in the metadata
// database's dialect. The replicated database may use the other dialect
// (a PostgreSQL database with a GoogleSQL metadata database is common):
// copying its "bigint" into GoogleSQL DDL fails the launch.
func keyColumnType(spannerType string, postgres bool) (string, error) {
	base := spannertype.BaseName(spannerType)
	known, spelling := googleSQLTypes, googleSQLSpelling
	if postgres {
		known, spelling = postgresTypes, postgresSpelling
	}
	if known[base] {
		return spannerType, nil
	}
	t, err := spannertype.Parse(spannerType)
	if err != nil {
		return "", err
	}
	s, ok := spelling[t.Code]
	if !ok {
		return "", fmt.Errorf("type %s cannot be a key column", spannerType)
	}
	return s, nil
}
