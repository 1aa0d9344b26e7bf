package integration_test

import (
	"context"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func apply(ctx context.Context, c *spanner.Client, batches ...[]*spanner.Mutation) error {
	for _, ms := range batches {
		if _, err := c.Apply(ctx, ms); err != nil {
			return err
		}
	}
	return nil
}

// noFailures reports records filed as severe or retryable.
func noFailures(t *testing.T, f *fixtureRun) {
	t.Helper()
	for _, sub := range []string{dlq.SevereDir, dlq.RetryDir} {
		for _, l := range dlqLines(t, f.dlqDir, sub) {
			t.Errorf("%s/: %s %s: %s", sub, l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
		}
	}
}

func wantLine(t *testing.T, lines []dlq.Line, table, keys, msg string) {
	t.Helper()
	got := localenv.DLQByKey(lines)
	l, ok := got[table+" "+keys]
	if !ok {
		t.Errorf("no DLQ line for %s %s; have %v", table, keys, keysOf(got))
		return
	}
	if !strings.Contains(l.ErrorMessage, msg) {
		t.Errorf("DLQ line for %s %s says %q, want %q", table, keys, l.ErrorMessage, msg)
	}
}

func keysOf(m map[string]dlq.Line) []string {
	var out []string
	for k, l := range m {
		out = append(out, k+": "+l.ErrorMessage)
	}
	return out
}

func wantWarning(t *testing.T, f *fixtureRun, msg string) {
	t.Helper()
	for _, w := range f.plan.MappingWarnings {
		if strings.Contains(w, msg) {
			return
		}
	}
	t.Errorf("launch warnings lack %q: %q", msg, f.plan.MappingWarnings)
}

// googleRun: data types, reserved keywords, time zone and generated
// columns, GoogleSQL, identity mapping, sourceDbTimezoneOffset +10:00.
func googleRun(t *testing.T, its string) *fixtureRun {
	var sp, my []string
	for _, it := range []string{"SpannerToMySqlDataTypesIT", "SpannerToMySqlReservedKeywordsIT", "SpannerToSourceDbTimezoneIT", "SpannerToMySqlWithoutSessionIT"} {
		sp = append(sp, fixtureDDL(t, filepath.Join(its, it), "spanner-schema.sql")...)
		my = append(my, forMariaDB(fixtureDDL(t, filepath.Join(its, it), "mysql-schema.sql"))...)
	}
	// Not from a fixture: a table MySQL lacks, whose changes are skipped.
	sp = append(sp, "CREATE TABLE spanner_only_table (id INT64 NOT NULL, v STRING(10)) PRIMARY KEY (id)", changeStream(false))
	return &fixtureRun{
		name: "google", spanner: sp, mysql: my,
		params: params.Values{"sourceDbTimezoneOffset": "+10:00"},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			if err := typeMatrixWrites(ctx, f.client, f.sp, false, typeMatrix, javaTypeColumn); err != nil {
				return err
			}
			kw := []string{"COLUMN", "TABLE", "WITH"}
			gen := []string{"first_name_col", "last_name_col"}
			toGen := []string{"first_name_col", "last_name_col", "generated_column_col", "generated_column_pk_col"}
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("true", kw, []any{int64(1), "t1", "w1"}),
				spanner.Insert("true", kw, []any{int64(2), "t2", nil}),
				spanner.Insert("Users", []string{"id", "time_colm"}, []any{int64(1), ts("2024-02-02T00:00:00Z")}),
				spanner.Insert("Users", []string{"id", "time_colm"}, []any{int64(2), ts("2024-02-02T10:00:00Z")}),
				spanner.Insert("Users", []string{"id", "time_colm"}, []any{int64(3), ts("2024-02-02T20:00:00Z")}),
				spanner.Insert("generated_pk_column_table", gen, []any{"a1", "l1"}),
				spanner.Insert("generated_pk_column_table", gen, []any{"d1", nil}),
				spanner.Insert("generated_non_pk_column_table", []string{"id", "first_name_col", "last_name_col"}, []any{int64(1), "x", "y"}),
				spanner.Insert("non_generated_to_generated_column_table", gen, []any{"g1", "l"}),
				spanner.Insert("non_generated_to_generated_column_table", gen, []any{"g2", nil}),
				spanner.Insert("generated_to_non_generated_column_table", toGen, []any{"n1", "m", "ignored", "pk-n1"}),
				spanner.Insert("generated_to_non_generated_column_table", toGen, []any{"n2", nil, nil, "pk-n2"}),
				spanner.Insert("spanner_only_table", []string{"id", "v"}, []any{int64(1), "x"}),
			}, []*spanner.Mutation{
				spanner.Update("true", []string{"COLUMN", "WITH"}, []any{int64(2), "w2"}),
				spanner.Delete("generated_pk_column_table", spanner.Key{"d1 "}),
				spanner.Delete("non_generated_to_generated_column_table", spanner.Key{"g2 "}),
				spanner.Delete("generated_to_non_generated_column_table", spanner.Key{"pk-n2"}),
			})
		},
		check: func(t *testing.T, f *fixtureRun) {
			checkTypeMatrix(t, f.db, mustTZ("+10:00"), typeMatrix, javaTypeColumn)
			wantRows(t, f.db, "SELECT `COLUMN`, `TABLE`, `WITH` FROM `true` ORDER BY 1", "1|t1|w1", "2|t2|w2")
			// SpannerToSourceDbTimezoneIT's expectations, read in the
			// source zone: time_colm is a TIMESTAMP, which holds the
			// Spanner instant (the writer's session is in +10:00).
			wantRows(t, f.db, "SELECT id, CAST(CONVERT_TZ(time_colm, '+00:00', '+10:00') AS CHAR) FROM Users ORDER BY id",
				"1|2024-02-02 10:00:00", "2|2024-02-02 20:00:00", "3|2024-02-03 06:00:00")
			// Generated at the source: never written, MySQL computes it.
			wantRows(t, f.db, "SELECT first_name_col, last_name_col, generated_column_col, id FROM generated_non_pk_column_table", "x|y|x |1")
			// Generated in Spanner only: absent from change records, read
			// from Spanner at the commit.
			wantRows(t, f.db, "SELECT first_name_col, last_name_col, generated_column_col, generated_column_pk_col FROM non_generated_to_generated_column_table", "g1|l|g1 |g1 ")
			// MariaDB allows no primary key on a generated column (see
			// forMariaDB), so these two tables have none: every change is
			// severe, and the launch says so.
			for _, tbl := range []string{"generated_pk_column_table", "generated_to_non_generated_column_table"} {
				wantWarning(t, f, `table "`+tbl+`": source table "`+tbl+`": it has no primary key`)
				wantRows(t, f.db, "SELECT COUNT(*) FROM "+tbl, "0")
			}
			severe := localenv.DLQByKey(dlqLines(t, f.dlqDir, dlq.SevereDir))
			for _, k := range []string{`generated_pk_column_table {"generated_column_col":"a1 "}`, `generated_pk_column_table {"generated_column_col":"d1 "}`,
				`generated_to_non_generated_column_table {"generated_column_pk_col":"pk-n1"}`, `generated_to_non_generated_column_table {"generated_column_pk_col":"pk-n2"}`} {
				if l, ok := severe[k]; !ok || !strings.Contains(l.ErrorMessage, "it has no primary key") {
					t.Errorf("severe/ lacks %s with the reason (has %v)", k, keysOf(severe))
				}
				delete(severe, k)
			}
			for k, l := range severe {
				t.Errorf("unexpected severe record %s: %s", k, l.ErrorMessage)
			}
			if l := dlqLines(t, f.dlqDir, dlq.RetryDir); len(l) > 0 {
				t.Errorf("retry/ has %d records: %v", len(l), keysOf(localenv.DLQByKey(l)))
			}
			wantLine(t, dlqLines(t, f.dlqDir, "skip"), "spanner_only_table", `{"id":"1"}`, "Skipped record from reverse replication")
			wantWarning(t, f, `table "spanner_only_table": table does not exist at the source`)
		},
	}
}

// pgRun: the data types in a PostgreSQL-dialect database.
func pgRun(t *testing.T, its string) *fixtureRun {
	sp := append(fixtureDDL(t, filepath.Join(its, "SpannerToMySqlDataTypesIT"), "pg-dialect-spanner-schema.sql"), changeStream(true))
	return &fixtureRun{
		name: "pg", pg: true, spanner: sp, mysql: fixtureDDL(t, filepath.Join(its, "SpannerToMySqlDataTypesIT"), "mysql-schema.sql"),
		params: params.Values{},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			return typeMatrixWrites(ctx, f.client, f.sp, true, typeMatrix, javaTypeColumn)
		},
		check: func(t *testing.T, f *fixtureRun) {
			for name := range f.sp.Tables {
				if _, ok := typeMatrix[name]; !ok {
					t.Errorf("data-type table %s has no case in typeMatrix", name)
				}
			}
			checkTypeMatrix(t, f.db, time.UTC, typeMatrix, javaTypeColumn)
			noFailures(t, f)
		},
	}
}

// overridesRun: the schema overrides file, and the example WebAssembly
// transformation: it upper-cases data_col1, filters source_table2 rows
// whose value is "draft", and fails Target_Table_1 rows without a name.
func overridesRun(t *testing.T, its, module string) *fixtureRun {
	return &fixtureRun{
		name:    "overrides",
		spanner: append(fixtureDDL(t, filepath.Join(its, "SpannerToSourceDbOverridesIT"), "spanner-schema.sql"), changeStream(false)),
		mysql:   fixtureDDL(t, filepath.Join(its, "SpannerToSourceDbOverridesIT"), "mysql-schema.sql"),
		params: params.Values{
			"schemaOverridesFilePath":        filepath.Join(its, "SpannerToSourceDbOverridesIT", "file-overrides.json"),
			"transformationJarPath":          module,
			"transformationClassName":        "transform",
			"transformationCustomParameters": `{"upper": ["data_col1"], "filter": {"column": "value_col2", "equals": "draft"}, "require": {"Target_Table_1": ["Target_Name_Col_1"]}}`,
			"filterEventsDirectoryName":      "filtered",
		},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			t1 := []string{"id_col1", "Target_Name_Col_1", "data_col1"}
			t2 := []string{"key_col2", "Target_Category_Col_2", "value_col2"}
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("Target_Table_1", t1, []any{int64(1), "one", "data one"}),
				spanner.Insert("Target_Table_1", t1, []any{int64(2), nil, "no name"}),
				spanner.Insert("Target_Table_1", t1, []any{int64(3), "three", "d3"}),
				spanner.Insert("source_table2", t2, []any{"k1", "cat", "value"}),
				spanner.Insert("source_table2", t2, []any{"k2", "c", "draft"}),
			}, []*spanner.Mutation{spanner.Delete("Target_Table_1", spanner.Key{int64(3)})})
		},
		check: func(t *testing.T, f *fixtureRun) {
			wantRows(t, f.db, "SELECT id_col1, name_col1, data_col1 FROM source_table1 ORDER BY 1", "1|one|DATA ONE")
			wantRows(t, f.db, "SELECT key_col2, category_col2, value_col2 FROM source_table2 ORDER BY 1", "k1|cat|value")
			severe := dlqLines(t, f.dlqDir, dlq.SevereDir)
			wantLine(t, severe, "Target_Table_1", `{"id_col1":"2"}`, "required column Target_Name_Col_1 is missing or null")
			if len(severe) != 1 {
				t.Errorf("%d severe records, want 1", len(severe))
			}
			wantLine(t, dlqLines(t, f.dlqDir, "filtered"), "source_table2", `{"key_col2":"k2"}`, "Filtered record from custom transformation")
			// The filtered change still advanced its shadow row.
			if got := strings.Join(shadowKeys(t, f, "source_table2", "key_col2"), ","); got != "k1,k2" {
				t.Errorf("shadow_source_table2 keys %s, want k1,k2", got)
			}
			if l := dlqLines(t, f.dlqDir, dlq.RetryDir); len(l) > 0 {
				t.Errorf("retry/ has %d records", len(l))
			}
		},
	}
}

// sessionRun: the session file of a sharded migration on one shard:
// child21's Spanner key column id is the source's parent_id, and
// migration_shard_id exists in Spanner only.
func sessionRun(t *testing.T, its string) *fixtureRun {
	return &fixtureRun{
		name:    "session",
		spanner: append(forEmulator(fixtureDDL(t, filepath.Join(its, "SpannerToSourceDbInterleaveMultiShardIT"), "spanner-schema.sql")), changeStream(false)),
		mysql:   fixtureDDL(t, filepath.Join(its, "SpannerToSourceDbInterleaveMultiShardIT"), "mysql-schema.sql"),
		params:  params.Values{"sessionFilePath": filepath.Join(its, "SpannerToSourceDbInterleaveMultiShardIT", "session.json")},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			p := []string{"id", "update_ts", "migration_shard_id"}
			c := []string{"child_id", "id", "update_ts", "migration_shard_id"}
			at := ts("2024-05-01T10:00:00Z")
			if err := apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("parent1", p, []any{int64(1), at, "shard1"}),
				spanner.Insert("parent2", p, []any{int64(2), at, "shard1"}),
			}); err != nil {
				return err
			}
			// Children in later transactions: MySQL's foreign keys want
			// the parents first (a child seen first is retried).
			time.Sleep(time.Second)
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("child11", []string{"child_id", "parent_id", "migration_shard_id"}, []any{int64(10), int64(1), "shard1"}),
				spanner.Insert("child21", c, []any{int64(20), int64(2), at, "shard1"}),
				spanner.Insert("child21", c, []any{int64(21), int64(2), at, "shard1"}),
				spanner.Insert("child31", c, []any{int64(30), int64(2), nil, "shard1"}),
			}, []*spanner.Mutation{spanner.Delete("child21", spanner.Key{int64(2), int64(21)})})
		},
		check: func(t *testing.T, f *fixtureRun) {
			wantRows(t, f.db, "SELECT id, CAST(update_ts AS CHAR) FROM parent1", "1|2024-05-01 10:00:00")
			wantRows(t, f.db, "SELECT id FROM parent2", "2")
			wantRows(t, f.db, "SELECT child_id, parent_id FROM child11", "10|1")
			wantRows(t, f.db, "SELECT child_id, parent_id, CAST(update_ts AS CHAR) FROM child21", "20|2|2024-05-01 10:00:00")
			wantRows(t, f.db, "SELECT child_id, parent_id, update_ts FROM child31", "30|2|NULL")
			noFailures(t, f)
		},
	}
}

// stringOverridesRun: columnOverrides as a parameter on the retry-DLQ
// test's schema. Orders' source key column LegacyOrderSystem is fed by
// Spanner's non-key OrderSource, so a delete (keys only) reads the deleted
// row back from Spanner; Customers has a check constraint.
func stringOverridesRun(t *testing.T, its string) *fixtureRun {
	return &fixtureRun{
		name:    "strings",
		spanner: append(fixtureDDL(t, filepath.Join(its, "SpannerToSourceDBMySQLRetryDLQIT"), "spanner-schema.sql"), changeStream(false)),
		mysql:   fixtureDDL(t, filepath.Join(its, "SpannerToSourceDBMySQLRetryDLQIT"), "mysql-schema.sql"),
		params:  params.Values{"columnOverrides": "[{Customers.LegacyRegion, Customers.LoyaltyTier}, {Orders.LegacyOrderSystem, Orders.OrderSource}]"},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			cu := []string{"CustomerId", "CustomerName", "CreditLimit", "LoyaltyTier"}
			all := []string{"id", "varchar_col", "bit8_col", "bit1_col", "year_col", "bigint_unsigned_col", "time_col", "enum_col", "set_col", "timestamp_col"}
			maxU64, _ := new(big.Rat).SetString("18446744073709551615")
			or := []string{"CustomerId", "OrderId", "OrderValue", "OrderSource"}
			if err := apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("Customers", cu, []any{int64(1), "Ann", big.NewRat(5000, 1), "gold"}),
				spanner.Insert("Customers", cu, []any{int64(2), "Bob", big.NewRat(500, 1), "tin"}),
				spanner.Insert("AllDataTypes", all, []any{int64(1), "v", int64(255), true, "2024", maxU64, "12:34:56", "3", "v2", ts("2024-01-01T00:00:00Z")}),
			}); err != nil {
				return err
			}
			time.Sleep(time.Second) // orders after their customer (a foreign key)
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("Orders", or, []any{int64(1), int64(100), big.NewRat(25, 2), "web"}),
				spanner.Insert("Orders", or, []any{int64(1), int64(101), big.NewRat(1, 1), "app"}),
			}, []*spanner.Mutation{spanner.Delete("Orders", spanner.Key{int64(1), int64(101)})})
		},
		check: func(t *testing.T, f *fixtureRun) {
			wantRows(t, f.db, "SELECT CustomerId, CustomerName, CreditLimit, LegacyRegion FROM Customers", "1|Ann|5000.00|gold")
			wantRows(t, f.db, "SELECT varchar_col, bit8_col+0, bit1_col+0, year_col, bigint_unsigned_col, CAST(time_col AS CHAR), enum_col, set_col, CAST(timestamp_col AS CHAR) FROM AllDataTypes",
				"v|255|1|2024|18446744073709551615|12:34:56|3|v2|2024-01-01 00:00:00")
			wantRows(t, f.db, "SELECT CustomerId, LegacyOrderSystem, OrderId, OrderValue FROM Orders", "1|web|100|12.50")
			wantLine(t, dlqLines(t, f.dlqDir, dlq.RetryDir), "Customers", `{"CustomerId":"2"}`, "CHK_CreditLimit")
			if l := dlqLines(t, f.dlqDir, dlq.SevereDir); len(l) > 0 {
				t.Errorf("severe/ has %v", keysOf(localenv.DLQByKey(l)))
			}
			wantWarning(t, f, `table "Orders": the source key of Orders is not Spanner's key, so each delete reads the deleted row from Spanner`)
		},
	}
}
