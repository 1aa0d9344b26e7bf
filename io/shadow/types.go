package shadow

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
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
	googleSQLSpelling = map[string]string{convert.CodeInt64: "INT64", convert.CodeString: "STRING(MAX)", convert.CodeBool: "BOOL",
		convert.CodeFloat64: "FLOAT64", convert.CodeFloat32: "FLOAT32", convert.CodeNumeric: "NUMERIC", convert.CodeBytes: "BYTES(MAX)",
		convert.CodeDate: "DATE", convert.CodeTimestamp: "TIMESTAMP", convert.CodeJSON: "JSON", convert.CodeUUID: "UUID"}
	postgresSpelling = map[string]string{convert.CodeInt64: "bigint", convert.CodeString: "character varying", convert.CodeBool: "boolean",
		convert.CodeFloat64: "double precision", convert.CodeFloat32: "real", convert.CodeNumeric: "numeric", convert.CodeBytes: "bytea",
		convert.CodeDate: "date", convert.CodeTimestamp: "timestamp with time zone", convert.CodeJSON: "jsonb", convert.CodeUUID: "uuid"}
)

var typeArgs = regexp.MustCompile(`\s*\([^)]*\)`)

// keyColumnType is the type of a shadow key column in the metadata
// database's dialect. The replicated database may use the other dialect
// (a PostgreSQL database with a GoogleSQL metadata database is common):
// copying its "bigint" into GoogleSQL DDL fails the launch.
func keyColumnType(spannerType string, postgres bool) (string, error) {
	base := strings.ToLower(strings.TrimSpace(typeArgs.ReplaceAllString(spannerType, "")))
	base = strings.Join(strings.Fields(base), " ")
	known, spelling := googleSQLTypes, googleSQLSpelling
	if postgres {
		known, spelling = postgresTypes, postgresSpelling
	}
	if known[base] {
		return spannerType, nil
	}
	t, err := convert.ParseType(spannerType)
	if err != nil {
		return "", err
	}
	s, ok := spelling[t.Code]
	if !ok {
		return "", fmt.Errorf("type %s cannot be a key column", spannerType)
	}
	return s, nil
}
