package integration_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// pgDataTypesIT is the Java template's PostgreSQL data-types test.
const pgDataTypesIT = "SpannerToPostgreSQLDataTypesIT"

// pgTypeMatrix covers every table of SpannerToPostgreSQLDataTypesIT: the
// value written in Spanner (as typeMatrix's text), and the PostgreSQL
// column read back as pgTypeText prints it.
var pgTypeMatrix = map[string]typeCase{
	"bool_table":      {spanner: "true", want: "true"},
	"int64_table":     {spanner: "-9223372036854775808", want: "-9223372036854775808"},
	"float64_table":   {spanner: "-1.25e-7", want: "-1.25e-07"},
	"string_table":    {spanner: "text 'quoted' \\ back é", want: "text 'quoted' \\ back é"},
	"bytes_table":     {spanner: "AQL/AA==", want: "0102ff00", sel: "hex"},
	"date_table":      {spanner: "2024-02-29", want: "2024-02-29"},
	"numeric_table":   {spanner: "-99999999999999999999999999999.999999999", want: "-99999999999999999999999999999.999999999"},
	"timestamp_table": {spanner: "2024-02-02T20:00:00Z", want: "2024-02-02 20:00:00", sel: "ts"},
	"json_table":      {spanner: `{"k1": "v1", "n": [1, 2.5, null], "s": "é"}`, want: `{"k1":"v1","n":[1,2.5,null],"s":"é"}`, sel: "json"},
	"uuid_table":      {spanner: "0f8fad5b-d9cb-469f-a165-70867728950e", want: "0f8fad5b-d9cb-469f-a165-70867728950e"},
}

// uuidColumn finds a UUID column in Spanner DDL of either dialect.
var uuidColumn = regexp.MustCompile(`(?i)\buuid_col\s+UUID\b`)

// TestFixtureJavaTemplatePostgreSQL replicates the Java template's
// PostgreSQL data-types schema (SpannerToPostgreSQLDataTypesIT, from the
// shared fixtures) end to end into PostgreSQL, twice in one pipeline: from
// a GoogleSQL Spanner database (its spanner-schema.sql) and from a
// PostgreSQL-dialect one (its postgresql-schema.sql, which is valid
// PostgreSQL-dialect Spanner DDL as well). Every row written (a value, a
// NULL, an update, a delete) must reach PostgreSQL, with no DLQ record.
//
// The emulator rejects UUID columns, so uuid_table's Spanner column is a
// STRING(36) (varchar(36) in the PostgreSQL dialect) holding the UUID's
// text: the PostgreSQL side keeps its uuid column, so the conversion into
// uuid is still exercised, from a string.
func TestFixtureJavaTemplatePostgreSQL(t *testing.T) {
	dir := filepath.Join(testenv.SharedFixtures(t, javaITs), pgDataTypesIT)
	target := fixtureDDL(t, dir, "postgresql-schema.sql")
	google := fixtureDDL(t, dir, "spanner-schema.sql")
	for i, st := range google {
		google[i] = uuidColumn.ReplaceAllString(st, "uuid_col STRING(36)")
	}
	pgDialect := make([]string, len(target))
	for i, st := range target {
		pgDialect[i] = uuidColumn.ReplaceAllString(st, "uuid_col varchar(36)")
	}
	replicateFixtures(t, func(string) []*fixtureRun {
		return []*fixtureRun{
			pgTargetRun("google_to_pg", false, append(google, changeStream(false)), target),
			pgTargetRun("pg_to_pg", true, append(pgDialect, changeStream(true)), target),
		}
	})
}

// pgTargetRun writes pgTypeMatrix in a Spanner database of the dialect pg
// holding spannerDDL, and checks it in a PostgreSQL shard holding target.
func pgTargetRun(name string, pg bool, spannerDDL, target []string) *fixtureRun {
	return &fixtureRun{
		name: name, pg: pg, spanner: spannerDDL, postgresql: target,
		params: params.Values{},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			return typeMatrixWrites(ctx, f.client, f.sp, pg, pgTypeMatrix, javaTypeColumn)
		},
		check: func(t *testing.T, f *fixtureRun) {
			for name := range f.sp.Tables {
				if _, ok := pgTypeMatrix[name]; !ok {
					t.Errorf("data-type table %s has no case in pgTypeMatrix", name)
				}
			}
			checkPGTypeMatrix(t, f.db, pgTypeMatrix, javaTypeColumn)
			noFailures(t, f)
		},
	}
}

// pgTypeText is the expression reading col for a case's sel.
func pgTypeText(col, sel string) string {
	switch sel {
	case "hex":
		return "encode(" + col + ", 'hex')"
	case "ts":
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
	}
	return col + "::text"
}

// checkPGTypeMatrix compares every data-type table in PostgreSQL with the
// matrix: row 1 the value, row 2 NULL, row 3 deleted.
func checkPGTypeMatrix(t *testing.T, db *sql.DB, matrix map[string]typeCase, column func(table string) string) {
	t.Helper()
	names := make([]string, 0, len(matrix))
	for n := range matrix {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := matrix[name]
		got := rows(t, db, fmt.Sprintf("SELECT id, %s FROM %s ORDER BY id", pgTypeText(column(name), c.sel), name))
		want := []string{"1|" + c.want, "2|NULL"}
		if c.sel == "json" && len(got) == 2 && sameJSON(strings.TrimPrefix(got[0], "1|"), c.want) {
			// jsonb orders object keys and spaces values its own way.
			got[0] = want[0]
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: PostgreSQL has %q, want %q", name, got, want)
		}
	}
}
