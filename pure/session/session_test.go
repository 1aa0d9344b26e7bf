package session

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type parseCase struct {
	name string
	path string
	want map[string]mapping.TableNames // a subset of the result
	n    int                           // number of tables
}

func runParseCases(t *testing.T, tests []parseCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(readFile(t, tt.path), filepath.Base(tt.path))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Listed || got.Origin != "session file "+filepath.Base(tt.path) {
				t.Errorf("Listed = %v, Origin = %q", got.Listed, got.Origin)
			}
			if len(got.Tables) != tt.n {
				t.Errorf("%d tables, want %d: %v", len(got.Tables), tt.n, got.Tables)
			}
			for name, want := range tt.want {
				if !reflect.DeepEqual(got.Tables[name], want) {
					t.Errorf("table %s:\n got %#v\nwant %#v", name, got.Tables[name], want)
				}
			}
		})
	}
}

// TestParseFiles reads session files in spanner-migration-tool's format
// (testdata/), and checks the names that matter for reverse replication.
func TestParseFiles(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name: "one table, shard-id column on a real column",
			path: "testdata/meters_session.json", n: 1,
			want: map[string]mapping.TableNames{"meters": {Source: "meters", Columns: map[string]string{"meter_id": "meter_id", "reading": "reading"}, ShardIDColumn: "meter_id"}},
		},
		{
			name: "several tables, one with a foreign key",
			path: "testdata/library_session.json", n: 3,
			want: map[string]mapping.TableNames{
				"books": {Source: "books", Columns: map[string]string{"book_id": "book_id", "author_id": "author_id", "title": "title"}},
				"loans": {Source: "loans", Columns: map[string]string{"loan_id": "loan_id", "book_id": "book_id", "due": "due"}},
			},
		},
		{
			name: "sharded: migration_shard_id is Spanner-only, an interleaved key column renamed",
			path: "testdata/sharded_depots_session.json", n: 3,
			want: map[string]mapping.TableNames{
				"depots":  {Source: "depots", Columns: map[string]string{"depot_id": "depot_id", "opened_at": "opened_at"}, ShardIDColumn: "migration_shard_id"},
				"bins":    {Source: "bins", Columns: map[string]string{"depot_id": "home_depot", "bin_id": "bin_id", "label": "label", "checked_at": "checked_at"}, ShardIDColumn: "migration_shard_id"},
				"parcels": {Source: "parcels", Columns: map[string]string{"parcel_id": "parcel_id", "depot_id": "depot_id", "weight_kg": "weight_kg"}, ShardIDColumn: "migration_shard_id"},
			},
		},
		{
			name: "reserved words",
			path: "testdata/reserved_words_session.json", n: 1,
			want: map[string]mapping.TableNames{"order": {Source: "order", Columns: map[string]string{"key": "key", "select": "select", "desc": "desc"}}},
		},
		{
			name: "sharded with renamed tables and columns and a synthetic key",
			path: "testdata/sharded_synthetic_session.json", n: 3,
			want: map[string]mapping.TableNames{
				"Customers": {Source: "customers", Columns: map[string]string{"CustomerId": "customer_id", "FullName": "full_name", "Email": "email"}, ShardIDColumn: "migration_shard_id"},
				"AuditLog":  {Source: "audit_log", Columns: map[string]string{"event": "event", "at": "at"}, ShardIDColumn: "migration_shard_id", SyntheticKey: "synth_id"},
				"Orders":    {Source: "orders", Columns: map[string]string{"CustomerId": "customer_id", "OrderId": "order_id", "Total": "total"}, ShardIDColumn: "migration_shard_id"},
			},
		},
		{
			// SrcSchema in PostgreSQL's type names (character varying
			// with Mods, text with ArrayBounds, an enum, jsonb); only
			// the names matter.
			name: "PostgreSQL source: renamed tables and columns, a synthetic key",
			path: "testdata/postgres_source_session.json", n: 2,
			want: map[string]mapping.TableNames{
				"Customers": {Source: "customers", Columns: map[string]string{"CustomerId": "customer_id", "FullName": "full_name", "Balance": "balance",
					"CreatedAt": "created_at", "Tags": "tags", "Status": "status"}},
				"audit_log": {Source: "audit_log", Columns: map[string]string{"entry": "entry", "payload": "payload", "happened": "happened"}, SyntheticKey: "synth_id"},
			},
		},
	})
}

// TestParseDataTypesSessions reads data-type sessions of both dialects
// (GoogleSQL and PostgreSQL): every table maps to itself.
func TestParseDataTypesSessions(t *testing.T) {
	checkIdentitySessions(t, 6, "testdata/types_session.json", "testdata/types_pg_session.json")
}

func checkIdentitySessions(t *testing.T, minTables int, paths ...string) {
	t.Helper()
	for _, p := range paths {
		f := filepath.Base(p)
		got, err := Parse(readFile(t, p), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(got.Tables) < minTables {
			t.Errorf("%s: only %d tables, want at least %d", f, len(got.Tables), minTables)
		}
		for name, tn := range got.Tables {
			if tn.Source != name || tn.Columns["id"] != "id" || len(tn.Columns) != 2 {
				t.Errorf("%s: table %s maps to %+v", f, name, tn)
			}
		}
	}
}

// TestParseSharedSessionFiles is the acceptance suite: the session files
// of spanner-migration-tool and of the Java template's integration tests
// (see testenv.SharedFixtures; skipped without them, failing in CI).
func TestParseSharedSessionFiles(t *testing.T) {
	fx := testenv.SharedFixtures(t)
	runParseCases(t, []parseCase{
		{
			name: "one table, shard-id column on a real column",
			path: fx + "/session-files/basic_session_file_test.json", n: 1,
			want: map[string]mapping.TableNames{"numbers": {Source: "numbers", Columns: map[string]string{"id": "id", "value": "value"}, ShardIDColumn: "id"}},
		},
		{
			name: "several tables",
			path: fx + "/session-files/test_session_mysql_test_smt.json", n: 4,
			want: map[string]mapping.TableNames{
				"Projects": {Source: "Projects", Columns: map[string]string{"ProjectID": "ProjectID", "ProjectName": "ProjectName", "StartDate": "StartDate", "EndDate": "EndDate", "Budget": "Budget"}},
			},
		},
		{
			name: "tables with a foreign key",
			path: fx + "/session-files/mysql_interleave_session_test.json", n: 2,
			want: map[string]mapping.TableNames{"user": {Source: "user", Columns: map[string]string{"user_id": "user_id", "user_name": "user_name"}}},
		},
		{
			name: "sharded: migration_shard_id is Spanner-only, a key column renamed",
			path: fx + "/java-template-its/SpannerToSourceDbInterleaveMultiShardIT/session.json", n: 5,
			want: map[string]mapping.TableNames{
				"child21": {Source: "child21", Columns: map[string]string{"child_id": "child_id", "id": "parent_id", "update_ts": "update_ts", "in_ts": "in_ts"}, ShardIDColumn: "migration_shard_id"},
				"parent1": {Source: "parent1", Columns: map[string]string{"id": "id", "update_ts": "update_ts", "in_ts": "in_ts"}, ShardIDColumn: "migration_shard_id"},
			},
		},
		{
			name: "reserved keywords",
			path: fx + "/java-template-its/SpannerToMySqlReservedKeywordsIT/session.json", n: 1,
			want: map[string]mapping.TableNames{"true": {Source: "true", Columns: map[string]string{"COLUMN": "COLUMN", "TABLE": "TABLE", "WITH": "WITH"}}},
		},
	})
	t.Run("data types", func(t *testing.T) {
		dir := fx + "/java-template-its/SpannerToMySqlDataTypesIT/"
		checkIdentitySessions(t, 70, dir+"session.json", dir+"pg-dialect-session.json")
	})
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not JSON", "{\n  \"SpSchema\": {,\n}", "not valid JSON at line 2, column 16"},
		{"wrong type", `{"SpSchema": {"t1": {"Name": 5}}, "SrcSchema": {}}`, `JSON number ending at line 1, column 30 where string is expected (field SpSchema.Name)`},
		{"no SpSchema", `{"SrcSchema": {}}`, `the top-level "SpSchema" object is missing`},
		{"null SrcSchema", `{"SpSchema": {}, "SrcSchema": null}`, `the top-level "SrcSchema" object is missing`},
		{"array", `[]`, `not a session file`},
		{"shard column unknown", `{"SpSchema": {"t1": {"Name": "A", "ShardIdColumn": "c9", "ColDefs": {"c1": {"Name": "id"}}}}, "SrcSchema": {}}`,
			`SpSchema table t1 ("A"): ShardIdColumn "c9" is not one of its ColDefs`},
		{"ColIds without ColDefs", `{"SpSchema": {"t1": {"Name": "A", "ColIds": ["c1"], "ColDefs": {}}}, "SrcSchema": {}}`,
			`SpSchema table t1 ("A"): ColIds lists c1, which is not in ColDefs`},
		{"duplicate column names", `{"SpSchema": {"t1": {"Name": "A", "ColDefs": {"c1": {"Name": "id"}, "c2": {"Name": "ID"}}}}, "SrcSchema": {}}`,
			`SpSchema table t1 ("A"): columns c1 and c2 are both named "ID"`},
		{"duplicate table names", `{"SpSchema": {"t1": {"Name": "A"}, "t2": {"Name": "A"}}, "SrcSchema": {}}`,
			`SpSchema table t2 ("A"): table t1 has the same name`},
		{"table without name", `{"SpSchema": {"t1": {}}, "SrcSchema": {}}`, `SpSchema table t1 has no Name`},
		{"source table without name", `{"SpSchema": {"t1": {"Name": "A"}}, "SrcSchema": {"t1": {}}}`, `SrcSchema table t1 (source of Spanner table "A") has no Name`},
		{"source column without name", `{"SpSchema": {"t1": {"Name": "A"}}, "SrcSchema": {"t1": {"Name": "a", "ColDefs": {"c1": {}}}}}`, `SrcSchema table t1 ("a"): column c1 has no Name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json), "s.json")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestSpannerOnlyTable: a table the session only has in SpSchema is not at
// the source, but keeps its shard-id column.
func TestSpannerOnlyTable(t *testing.T) {
	n, err := Parse([]byte(`{"SpSchema": {"t1": {"Name": "New", "ShardIdColumn": "c2", "ColDefs": {"c1": {"Name": "id"}, "c2": {"Name": "shard"}}}}, "SrcSchema": {}, "SyntheticPKeys": {}}`), "s.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := n.SourceTable("New"); ok {
		t.Error("New has no source table")
	}
	if c, ok := n.ShardIDColumn("New"); !ok || c != "shard" {
		t.Errorf("ShardIDColumn = %q, %v", c, ok)
	}
	if _, ok := n.SourceTable("Unlisted"); ok {
		t.Error("a session file lists every table that exists at the source")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"SpSchema": {"t1": {"Name": "A", "ShardIdColumn": "c2", "ColIds": ["c1"], "ColDefs": {"c1": {"Name": "id"}, "c2": {"Name": "s"}}}}, "SrcSchema": {"t1": {"Name": "a", "ColDefs": {"c1": {"Name": "i"}}}}, "SyntheticPKeys": {"t1": {"ColId": "c2"}}}`))
	f.Add([]byte(`{"SpSchema": null}`))
	f.Add([]byte(`{"SpSchema": {"t1": {"Name": "A"}}, "SrcSchema": {"t1": {"Name": ""}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data, "f.json")
		if err != nil {
			if n.Tables != nil {
				t.Fatal("a failed parse returned tables")
			}
			return
		}
		for sp, tn := range n.Tables {
			if sp == "" {
				t.Fatal("empty Spanner table name")
			}
			for spc, src := range tn.Columns {
				if spc == "" || src == "" {
					t.Fatalf("table %s: empty column name in %q -> %q", sp, spc, src)
				}
			}
		}
	})
}
