package overrides

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

func TestParseStrings(t *testing.T) {
	tests := []struct {
		name, tables, columns string
		want                  map[string]mapping.TableNames
		wantErr               string
	}{
		{name: "none", want: map[string]mapping.TableNames{}},
		{name: "empty lists", tables: " [ ] ", columns: "[]", want: map[string]mapping.TableNames{}},
		{
			name:   "the Java template's examples",
			tables: "[{Singers, Vocalists}, {Albums, Records}]", columns: "[{Singers.SingerName, Singers.TalentName}]",
			want: map[string]mapping.TableNames{
				"Vocalists": {Source: "Singers", Columns: map[string]string{"TalentName": "SingerName"}},
				"Records":   {Source: "Albums"},
			},
		},
		{
			name:    "column renames of a table kept by name",
			columns: "[{source_table2.category_col2,source_table2.Target_Category_Col_2},{source_table2.a, source_table2.b}]",
			want:    map[string]mapping.TableNames{"source_table2": {Source: "source_table2", Columns: map[string]string{"Target_Category_Col_2": "category_col2", "b": "a"}}},
		},
		{name: "no brackets", tables: "{a, b}", wantErr: "tableOverrides: expected '[' at character 1"},
		{name: "missing name", tables: "[{a, }]", wantErr: "tableOverrides: expected a name at character 5"},
		{name: "three names", tables: "[{a, b, c}]", wantErr: "tableOverrides: expected '}' at character 7"},
		{name: "unterminated", tables: "[{a, b}", wantErr: "tableOverrides: expected ',' at the end"},
		{name: "trailing text", tables: "[{a, b}] x", wantErr: `unexpected "x" after ']'`},
		{name: "table renamed twice", tables: "[{a, b}, {a, c}]", wantErr: `source table "a" is renamed twice (to "b" and "c")`},
		{name: "two tables to one", tables: "[{a, x}, {b, x}]", wantErr: `source tables "a" and "b" are both renamed to Spanner table "x"`},
		{name: "column without table", columns: "[{a, b}]", wantErr: "columnOverrides: {a, b}: each side must be Table.column"},
		{name: "column sides name different tables", columns: "[{t.a, u.b}]", wantErr: "both sides must name the same (source) table"},
		{name: "column renamed twice", columns: "[{t.a, t.b}, {t.a, t.c}]", wantErr: `column t.a is renamed twice`},
		{name: "two columns to one", columns: "[{t.a, t.x}, {t.b, t.x}]", wantErr: `source columns "a" and "b" are both renamed to Spanner column "x"`},
		{name: "renamed table's old name reused", tables: "[{a, b}]", columns: "[{b.c, b.d}]", wantErr: `Spanner table "b" is the rename of source table "a"`},
		{name: "both parameters wrong", tables: "x", columns: "y", wantErr: "tableOverrides: expected '['"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStrings(tt.tables, tt.columns)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Listed || got.Origin != "tableOverrides/columnOverrides" {
				t.Errorf("Listed %v, Origin %q", got.Listed, got.Origin)
			}
			if !reflect.DeepEqual(got.Tables, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got.Tables, tt.want)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		path    string
		want    map[string]mapping.TableNames
		wantErr string
	}{
		{
			name: "a table and its column renamed, a column of another table renamed",
			path: "testdata/warehouse_overrides.json",
			want: map[string]mapping.TableNames{
				"Suppliers": {Source: "vendors", Columns: map[string]string{"SupplierName": "vendor_name"}},
				"stock":     {Source: "stock", Columns: map[string]string{"Quantity": "qty_on_hand"}},
			},
		},
		{
			name: "columns only",
			path: "testdata/columns_only_overrides.json",
			want: map[string]mapping.TableNames{"Accounts": {Source: "Accounts", Columns: map[string]string{"Tier": "Region"}}},
		},
		{name: "empty object", data: `{}`, want: map[string]mapping.TableNames{}},
		{name: "misspelt key", data: `{"renamedColumn": {}}`, wantErr: `unknown field "renamedColumn"`},
		{name: "bad JSON", data: "{\n \"renamedTables\": {\"a\" \"b\"}}", wantErr: "not valid JSON at line 2, column 24"},
		{name: "wrong shape", data: `{"renamedTables": ["a"]}`, wantErr: "JSON array ending at line 1, column 19 where map[string]string is expected"},
		{name: "trailing data", data: `{} {}`, wantErr: "data after the JSON object"},
		{name: "empty name", data: `{"renamedTables": {"a": ""}}`, wantErr: `renamedTables: empty table name`},
		{name: "collision", data: `{"renamedTables": {"a": "x", "b": "x"}}`, wantErr: `both renamed to Spanner table "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.data)
			if tt.path != "" {
				var err error
				if data, err = os.ReadFile(tt.path); err != nil {
					t.Fatal(err)
				}
			}
			checkParseFile(t, data, tt.want, tt.wantErr)
		})
	}
}

func checkParseFile(t *testing.T, data []byte, want map[string]mapping.TableNames, wantErr string) {
	t.Helper()
	got, err := ParseFile(data, "o.json")
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin != "schema overrides file o.json" {
		t.Errorf("Origin %q", got.Origin)
	}
	if !reflect.DeepEqual(got.Tables, want) {
		t.Errorf("got  %#v\nwant %#v", got.Tables, want)
	}
}

// TestParseSharedFiles is the acceptance suite: the override files of the
// Java template's integration tests (see testenv.SharedFixtures; skipped
// without them, failing in CI).
func TestParseSharedFiles(t *testing.T) {
	its := testenv.SharedFixtures(t, "java-template-its")
	tests := []struct {
		name, path string
		want       map[string]mapping.TableNames
	}{
		{
			name: "overrides IT file",
			path: "SpannerToSourceDbOverridesIT/file-overrides.json",
			want: map[string]mapping.TableNames{
				"Target_Table_1": {Source: "source_table1", Columns: map[string]string{"Target_Name_Col_1": "name_col1"}},
				"source_table2":  {Source: "source_table2", Columns: map[string]string{"Target_Category_Col_2": "category_col2"}},
			},
		},
		{
			name: "retry DLQ IT file",
			path: "SpannerToSourceDBMySQLRetryDLQIT/overrides.json",
			want: map[string]mapping.TableNames{"Customers": {Source: "Customers", Columns: map[string]string{"LoyaltyTier": "LegacyRegion"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(its, tt.path))
			if err != nil {
				t.Fatal(err)
			}
			checkParseFile(t, data, tt.want, "")
		})
	}
}

func FuzzParseStrings(f *testing.F) {
	f.Add("[{Singers, Vocalists}, {Albums, Records}]", "[{Singers.SingerName, Singers.TalentName}]")
	f.Add("[]", "[{a.b,a.c},{a.d, a.e}]")
	f.Add("[{a,b}", "[{.,.}]")
	f.Fuzz(func(t *testing.T, tables, columns string) {
		n, err := ParseStrings(tables, columns)
		if err != nil {
			return
		}
		for sp, tn := range n.Tables {
			if sp == "" || tn.Source == "" {
				t.Fatalf("empty table name: %q -> %q", tn.Source, sp)
			}
			for spc, src := range tn.Columns {
				if spc == "" || src == "" || strings.ContainsAny(spc+src, "{}[],") {
					t.Fatalf("bad column names %q -> %q", src, spc)
				}
			}
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"renamedTables":{"source_table1":"Target_Table_1"},"renamedColumns":{"source_table1":{"name_col1":"Target_Name_Col_1"}}}`))
	f.Add([]byte(`{"renamedColumns":{"t":{"a":"b","c":"b"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseFile(data, "f.json")
		if err != nil {
			return
		}
		for sp, tn := range n.Tables {
			if sp == "" || tn.Source == "" {
				t.Fatalf("empty table name: %q -> %q", tn.Source, sp)
			}
		}
	})
}
