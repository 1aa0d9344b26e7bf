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

// The replications of TestFixtureSchemasReplicate, on the schemas under
// testdata/ (each folder: spanner.sql, mysql.sql and the run's files).

const ownTZ = "+09:00"

// ownTypes covers every table of testdata/types: dt_<type> (id, val).
// Timestamps assume sourceDbTimezoneOffset ownTZ for the GoogleSQL run and
// +00:00 for the PostgreSQL one, see wantFor.
var ownTypes = map[string]typeCase{
	"dt_bigint":          {spanner: "-9223372036854775808", want: "-9223372036854775808"},
	"dt_int_unsigned":    {spanner: "4294967295", want: "4294967295"},
	"dt_tinyint":         {spanner: "-128", want: "-128"},
	"dt_bigint_unsigned": {spanner: "18446744073709551615", want: "18446744073709551615"},
	"dt_int_as_string":   {spanner: "-42", want: "-42"},
	"dt_varchar":         {spanner: "grüße 'q' \\ x", want: "grüße 'q' \\ x"},
	"dt_char":            {spanner: "abc", want: "abc"},
	"dt_longtext":        {spanner: "long ✓ text", want: "long ✓ text"},
	"dt_bool":            {spanner: "true", want: "1"},
	"dt_bit":             {spanner: "AAc=", want: "7", sel: "bit"},
	"dt_bit_bool":        {spanner: "true", want: "1", sel: "bit"},
	"dt_double":          {spanner: "-2.75", want: "-2.75"},
	"dt_float":           {spanner: "0.5", want: "0.5"},
	"dt_decimal":         {spanner: "-1234.5", want: "-1234.500000"},
	"dt_varbinary":       {spanner: "3q2+7w==", want: "DEADBEEF", sel: "hex"},
	"dt_blob_as_string":  {spanner: "plain", want: "plain"},
	"dt_date":            {spanner: "2000-02-29", want: "2000-02-29"},
	"dt_datetime":        {spanner: "2023-06-30T23:30:00Z", want: "tz:2023-06-30T23:30:00Z"},
	"dt_timestamp":       {spanner: "2022-12-31T18:00:00Z", want: "tz:2022-12-31T18:00:00Z", sel: "ts"},
	"dt_time":            {spanner: "08:15:00", want: "08:15:00"},
	"dt_year":            {spanner: "1999", want: "1999"},
	"dt_json":            {spanner: `{"a": 1, "b": [true, null]}`, want: `{"a":1,"b":[true,null]}`, sel: "json"},
	"dt_enum":            {spanner: "green", want: "green"},
	"dt_set":             {spanner: "x,z", want: "x,z"},
	"dt_set_array":       {spanner: "y,z", want: "y,z"},
}

func ownTypeColumn(string) string { return "val" }

// ownDir is the absolute path of testdata/name.
func ownDir(name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return p
}

// ownGoogleRun: data types, reserved words, a time zone and generated
// columns, GoogleSQL, identity mapping, sourceDbTimezoneOffset ownTZ.
func ownGoogleRun(t *testing.T) *fixtureRun {
	var sp, my []string
	for _, d := range []string{"types", "keywords", "timezone", "generated"} {
		sp = append(sp, fixtureDDL(t, ownDir(d), "spanner.sql")...)
		my = append(my, fixtureDDL(t, ownDir(d), "mysql.sql")...)
	}
	// A table MySQL lacks, whose changes are skipped.
	sp = append(sp, "CREATE TABLE spanner_only_notes (id INT64 NOT NULL, v STRING(10)) PRIMARY KEY (id)", changeStream(false))
	return &fixtureRun{
		name: "google", spanner: sp, mysql: my,
		params: params.Values{"sourceDbTimezoneOffset": ownTZ},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			if err := typeMatrixWrites(ctx, f.client, f.sp, false, ownTypes, ownTypeColumn); err != nil {
				return err
			}
			kw := []string{"from", "where", "group"}
			people := []string{"given", "family"}
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("select", kw, []any{int64(7), "w7", "g7"}),
				spanner.Insert("select", kw, []any{int64(8), "w8", nil}),
				spanner.Insert("clock_events", []string{"id", "happened_at"}, []any{int64(1), ts("2025-03-01T00:00:00Z")}),
				spanner.Insert("clock_events", []string{"id", "happened_at"}, []any{int64(2), ts("2025-03-01T15:30:00Z")}),
				spanner.Insert("people_both_gen", []string{"id", "given", "family"}, []any{int64(1), "Ada", "Byron"}),
				spanner.Insert("people_spanner_gen", people, []any{"Grace", "Hopper"}),
				spanner.Insert("people_spanner_gen", people, []any{"Alan", "Turing"}),
				spanner.Insert("tags_no_key", []string{"tag", "note"}, []any{"red", "n1"}),
				spanner.Insert("spanner_only_notes", []string{"id", "v"}, []any{int64(1), "x"}),
			}, []*spanner.Mutation{
				spanner.Update("select", []string{"from", "group"}, []any{int64(8), "g8"}),
				spanner.Delete("people_spanner_gen", spanner.Key{"alan"}),
				spanner.Delete("tags_no_key", spanner.Key{"red"}),
			})
		},
		check: func(t *testing.T, f *fixtureRun) {
			checkTypeMatrix(t, f.db, mustTZ(ownTZ), ownTypes, ownTypeColumn)
			wantRows(t, f.db, "SELECT `from`, `where`, `group` FROM `select` ORDER BY 1", "7|w7|g7", "8|w8|g8")
			// A TIMESTAMP holds the Spanner instant; read in the source zone.
			wantRows(t, f.db, "SELECT id, CAST(CONVERT_TZ(happened_at, '+00:00', '"+ownTZ+"') AS CHAR) FROM clock_events ORDER BY id",
				"1|2025-03-01 09:00:00", "2|2025-03-02 00:30:00")
			// Generated at the source: never written, MySQL computes it.
			wantRows(t, f.db, "SELECT id, given, family, display FROM people_both_gen", "1|Ada|Byron|Ada Byron")
			// Generated in Spanner only (the key too): absent from change
			// records, read from Spanner at the commit.
			wantRows(t, f.db, "SELECT given, family, slug, handle FROM people_spanner_gen", "Grace|Hopper|Grace.Hopper|grace")
			// No primary key at the source: every change is severe, and
			// the launch says so.
			wantWarning(t, f, `table "tags_no_key": source table "tags_no_key": it has no primary key`)
			wantRows(t, f.db, "SELECT COUNT(*) FROM tags_no_key", "0")
			severe := localenv.DLQByKey(dlqLines(t, f.dlqDir, dlq.SevereDir))
			if l, ok := severe[`tags_no_key {"tag":"red"}`]; !ok || !strings.Contains(l.ErrorMessage, "it has no primary key") {
				t.Errorf("severe/ lacks tags_no_key red with the reason (has %v)", keysOf(severe))
			}
			if len(severe) != 1 {
				t.Errorf("severe/ has %v, want only tags_no_key (insert and delete share a key)", keysOf(severe))
			}
			if l := dlqLines(t, f.dlqDir, dlq.RetryDir); len(l) > 0 {
				t.Errorf("retry/ has %d records: %v", len(l), keysOf(localenv.DLQByKey(l)))
			}
			wantLine(t, dlqLines(t, f.dlqDir, "skip"), "spanner_only_notes", `{"id":"1"}`, "Skipped record from reverse replication")
			wantWarning(t, f, `table "spanner_only_notes": table does not exist at the source`)
		},
	}
}

// ownPGRun: the data types in a PostgreSQL-dialect database.
func ownPGRun(t *testing.T) *fixtureRun {
	return &fixtureRun{
		name: "pg", pg: true,
		spanner: append(fixtureDDL(t, ownDir("types"), "spanner-pg.sql"), changeStream(true)),
		mysql:   fixtureDDL(t, ownDir("types"), "mysql.sql"),
		params:  params.Values{},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			return typeMatrixWrites(ctx, f.client, f.sp, true, ownTypes, ownTypeColumn)
		},
		check: func(t *testing.T, f *fixtureRun) {
			for name := range f.sp.Tables {
				if _, ok := ownTypes[name]; !ok {
					t.Errorf("data-type table %s has no case in ownTypes", name)
				}
			}
			checkTypeMatrix(t, f.db, time.UTC, ownTypes, ownTypeColumn)
			noFailures(t, f)
		},
	}
}

// ownOverridesRun: testdata/overrides/overrides.json (vendors is
// Suppliers, vendor_name SupplierName, stock.qty_on_hand Quantity), and
// the example WebAssembly transformation: it upper-cases notes, filters
// stock rows whose state is "draft", and fails Suppliers rows without a
// name.
func ownOverridesRun(t *testing.T, module string) *fixtureRun {
	return &fixtureRun{
		name:    "overrides",
		spanner: append(fixtureDDL(t, ownDir("overrides"), "spanner.sql"), changeStream(false)),
		mysql:   fixtureDDL(t, ownDir("overrides"), "mysql.sql"),
		params: params.Values{
			"schemaOverridesFilePath":        filepath.Join(ownDir("overrides"), "overrides.json"),
			"transformationJarPath":          module,
			"transformationClassName":        "transform",
			"transformationCustomParameters": `{"upper": ["notes"], "filter": {"column": "state", "equals": "draft"}, "require": {"Suppliers": ["SupplierName"]}}`,
			"filterEventsDirectoryName":      "filtered",
		},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			su := []string{"vendor_id", "SupplierName", "notes"}
			st := []string{"sku", "Quantity", "state"}
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("Suppliers", su, []any{int64(1), "Acme", "first notes"}),
				spanner.Insert("Suppliers", su, []any{int64(2), nil, "anonymous"}),
				spanner.Insert("Suppliers", su, []any{int64(3), "Zeta", "z"}),
				spanner.Insert("stock", st, []any{"s-1", int64(5), "live"}),
				spanner.Insert("stock", st, []any{"s-2", int64(7), "draft"}),
			}, []*spanner.Mutation{spanner.Delete("Suppliers", spanner.Key{int64(3)})})
		},
		check: func(t *testing.T, f *fixtureRun) {
			wantRows(t, f.db, "SELECT vendor_id, vendor_name, notes FROM vendors ORDER BY 1", "1|Acme|FIRST NOTES")
			wantRows(t, f.db, "SELECT sku, qty_on_hand, state FROM stock ORDER BY 1", "s-1|5|live")
			severe := dlqLines(t, f.dlqDir, dlq.SevereDir)
			wantLine(t, severe, "Suppliers", `{"vendor_id":"2"}`, "required column SupplierName is missing or null")
			if len(severe) != 1 {
				t.Errorf("%d severe records, want 1", len(severe))
			}
			wantLine(t, dlqLines(t, f.dlqDir, "filtered"), "stock", `{"sku":"s-2"}`, "Filtered record from custom transformation")
			// The filtered change still advanced its shadow row.
			if got := strings.Join(shadowKeys(t, f, "stock", "sku"), ","); got != "s-1,s-2" {
				t.Errorf("shadow_stock keys %s, want s-1,s-2", got)
			}
			if l := dlqLines(t, f.dlqDir, dlq.RetryDir); len(l) > 0 {
				t.Errorf("retry/ has %d records", len(l))
			}
		},
	}
}

// ownSessionRun: testdata/session/session.json, a sharded migration on one
// shard: bins' Spanner key column depot_id is the source's home_depot, and
// migration_shard_id exists in Spanner only.
func ownSessionRun(t *testing.T) *fixtureRun {
	return &fixtureRun{
		name:    "session",
		spanner: append(fixtureDDL(t, ownDir("session"), "spanner.sql"), changeStream(false)),
		mysql:   fixtureDDL(t, ownDir("session"), "mysql.sql"),
		params:  params.Values{"sessionFilePath": filepath.Join(ownDir("session"), "session.json")},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			at := ts("2025-01-15T08:00:00Z")
			if err := apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("depots", []string{"depot_id", "opened_at", "migration_shard_id"}, []any{int64(1), at, "shard_a"}),
				spanner.Insert("depots", []string{"depot_id", "opened_at", "migration_shard_id"}, []any{int64(2), nil, "shard_a"}),
			}); err != nil {
				return err
			}
			// Children in later transactions: MySQL's foreign keys want
			// the parents first (a child seen first is retried).
			time.Sleep(time.Second)
			b := []string{"depot_id", "bin_id", "label", "checked_at", "migration_shard_id"}
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("bins", b, []any{int64(1), int64(100), "A1", at, "shard_a"}),
				spanner.Insert("bins", b, []any{int64(2), int64(200), "B1", nil, "shard_a"}),
				spanner.Insert("bins", b, []any{int64(2), int64(201), "B2", at, "shard_a"}),
				spanner.Insert("parcels", []string{"parcel_id", "depot_id", "weight_kg", "migration_shard_id"}, []any{int64(9), int64(1), big.NewRat(2125, 1000), "shard_a"}),
			}, []*spanner.Mutation{spanner.Delete("bins", spanner.Key{int64(2), int64(201)})})
		},
		check: func(t *testing.T, f *fixtureRun) {
			wantRows(t, f.db, "SELECT depot_id, CAST(opened_at AS CHAR) FROM depots ORDER BY 1", "1|2025-01-15 08:00:00", "2|NULL")
			wantRows(t, f.db, "SELECT bin_id, home_depot, label, CAST(checked_at AS CHAR) FROM bins ORDER BY 1", "100|1|A1|2025-01-15 08:00:00", "200|2|B1|NULL")
			wantRows(t, f.db, "SELECT parcel_id, depot_id, weight_kg FROM parcels", "9|1|2.125")
			noFailures(t, f)
		},
	}
}

// ownStringOverridesRun: columnOverrides as a parameter on
// testdata/accounts. Invoices' source key column SourceSystem is fed by
// Spanner's non-key Channel, so a delete (keys only) reads the deleted row
// back from Spanner; Accounts has a check constraint.
func ownStringOverridesRun(t *testing.T) *fixtureRun {
	return &fixtureRun{
		name:    "strings",
		spanner: append(fixtureDDL(t, ownDir("accounts"), "spanner.sql"), changeStream(false)),
		mysql:   fixtureDDL(t, ownDir("accounts"), "mysql.sql"),
		params:  params.Values{"columnOverrides": accountsOverrides},
		write: func(ctx context.Context, _ *testing.T, f *fixtureRun) error {
			if err := apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("Accounts", accountCols, []any{int64(1), "Ann", big.NewRat(250, 1), "north"}),
				spanner.Insert("Accounts", accountCols, []any{int64(2), "Bo", big.NewRat(50, 1), "south"}),
			}); err != nil {
				return err
			}
			time.Sleep(time.Second) // invoices after their account (a foreign key)
			return apply(ctx, f.client, []*spanner.Mutation{
				spanner.Insert("Invoices", invoiceCols, []any{int64(1), int64(10), big.NewRat(25, 2), "web"}),
				spanner.Insert("Invoices", invoiceCols, []any{int64(1), int64(11), big.NewRat(1, 1), "app"}),
			}, []*spanner.Mutation{spanner.Delete("Invoices", spanner.Key{int64(1), int64(11)})})
		},
		check: func(t *testing.T, f *fixtureRun) {
			wantRows(t, f.db, "SELECT AccountId, Holder, Balance, Region FROM Accounts", "1|Ann|250.00|north")
			wantRows(t, f.db, "SELECT AccountId, SourceSystem, InvoiceId, Amount FROM Invoices", "1|web|10|12.50")
			wantLine(t, dlqLines(t, f.dlqDir, dlq.RetryDir), "Accounts", `{"AccountId":"2"}`, "CHK_Balance")
			if l := dlqLines(t, f.dlqDir, dlq.SevereDir); len(l) > 0 {
				t.Errorf("severe/ has %v", keysOf(localenv.DLQByKey(l)))
			}
			wantWarning(t, f, `table "Invoices": the source key of Invoices is not Spanner's key, so each delete reads the deleted row from Spanner`)
		},
	}
}

// The columns of testdata/accounts, and its column overrides.
var (
	accountCols       = []string{"AccountId", "Holder", "Balance", "Tier"}
	invoiceCols       = []string{"AccountId", "InvoiceId", "Amount", "Channel"}
	accountsOverrides = "[{Accounts.Region, Accounts.Tier}, {Invoices.SourceSystem, Invoices.Channel}]"
)
