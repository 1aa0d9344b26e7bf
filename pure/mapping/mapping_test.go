package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// The schemas below follow the Java template's integration tests: a plain
// table, renamed tables and columns, a sharded table with a Spanner-only
// shard-id column, generated columns on either side, and keys that differ
// between the two databases.

func spTable(name string, key []string, cols ...string) schema.SpannerTable {
	t := schema.SpannerTable{Name: name}
	for _, c := range cols {
		n, typ, _ := strings.Cut(c, " ")
		gen := strings.HasSuffix(typ, " GENERATED")
		typ = strings.TrimSuffix(typ, " GENERATED")
		t.Columns = append(t.Columns, schema.SpannerColumn{Name: n, Type: typ, Generated: gen})
	}
	for _, k := range key {
		t.PrimaryKey = append(t.PrimaryKey, schema.KeyPart{Column: k})
	}
	return t
}

func srcTable(name string, key []string, cols ...string) schema.SourceTable {
	t := schema.SourceTable{Name: name, PrimaryKey: key}
	for _, c := range cols {
		n, typ, _ := strings.Cut(c, " ")
		gen := strings.HasSuffix(typ, " GENERATED")
		typ = strings.TrimSuffix(typ, " GENERATED")
		dt := typ
		if i := strings.IndexAny(dt, "( "); i >= 0 {
			dt = dt[:i]
		}
		var maxLen int64
		if dt == "varchar" {
			fmt.Sscanf(typ, "varchar(%d)", &maxLen)
		}
		t.Columns = append(t.Columns, schema.SourceColumn{Name: n, DataType: dt, ColumnType: typ, Generated: gen, Nullable: true, MaxLength: maxLen})
	}
	return t
}

var testSpanner = schema.Spanner{Tables: map[string]schema.SpannerTable{}}
var testSource = schema.Source{Tables: map[string]schema.SourceTable{}}

func init() {
	for _, t := range []schema.SpannerTable{
		spTable("Users", []string{"id"}, "id INT64", "name STRING(MAX)", "time_colm TIMESTAMP", "spanner_only STRING(10)"),
		spTable("Singers", []string{"SingerId"}, "SingerId INT64", "FirstName STRING(50)", "migration_shard_id STRING(50)"),
		spTable("Target_Table_1", []string{"id_col1"}, "id_col1 INT64", "Target_Name_Col_1 STRING(255)", "data_col1 STRING(MAX)"),
		spTable("child21", []string{"id", "child_id"}, "child_id INT64", "id INT64", "update_ts TIMESTAMP", "migration_shard_id STRING(50)"),
		spTable("gen_pk", []string{"gen"}, "a STRING(50)", "b STRING(50)", "gen STRING(100) GENERATED"),
		spTable("gen_part", []string{"a"}, "a STRING(50)", "b STRING(50)"),
		spTable("to_gen", []string{"gk"}, "a STRING(50)", "g STRING(100) GENERATED", "gk STRING(100) GENERATED"),
		spTable("nopk", []string{"synth_id"}, "synth_id STRING(50)", "v INT64"),
		spTable("Missing", []string{"id"}, "id INT64"),
		spTable("MixedCase", []string{"id"}, "id INT64"),
	} {
		testSpanner.Tables[t.Name] = t
	}
	for _, t := range []schema.SourceTable{
		srcTable("Users", []string{"id"}, "id int(11)", "name varchar(20)", "time_colm timestamp", "src_only int(11)"),
		srcTable("singers", []string{"singer_id"}, "singer_id bigint(20)", "first_name varchar(50)"),
		srcTable("source_table1", []string{"id_col1"}, "id_col1 int(11)", "name_col1 varchar(255)", "data_col1 text"),
		srcTable("child21", []string{"child_id"}, "child_id int(11)", "parent_id int(11)", "update_ts timestamp"),
		srcTable("gen_pk", []string{"gen"}, "a varchar(50)", "b varchar(50)", "gen varchar(100) GENERATED"),
		srcTable("gen_part", []string{"a", "g"}, "b varchar(50)", "a varchar(50)", "g varchar(100) GENERATED"),
		srcTable("to_gen", []string{"gk"}, "a varchar(50)", "g varchar(100)", "gk varchar(100)"),
		srcTable("nopk", nil, "v int(11)"),
		srcTable("mixedcase", []string{"id"}, "id int(11)"),
	} {
		testSource.Tables[t.Name] = t
	}
}

// testNames maps like a session file plus overrides would: renamed tables
// and columns, and a shard-id column.
var testNames = Names{Tables: map[string]TableNames{
	"Singers":        {Source: "singers", Columns: map[string]string{"SingerId": "singer_id", "FirstName": "first_name"}, ShardIDColumn: "migration_shard_id"},
	"Target_Table_1": {Source: "source_table1", Columns: map[string]string{"Target_Name_Col_1": "name_col1"}},
	"child21":        {Source: "child21", Columns: map[string]string{"id": "parent_id"}, ShardIDColumn: "migration_shard_id"},
	"nopk":           {Source: "nopk", SyntheticKey: "synth_id"},
}}

func newMapper(names Names) *Mapper {
	tz, _ := time.Parse("-07:00", "+10:00")
	_, off := tz.Zone()
	return &Mapper{Spanner: testSpanner, Source: testSource, Names: names, TZ: time.FixedZone("+10:00", off), Values: convert.Values{}}
}

func rec(table, mod, keys, vals string) record.Record {
	return record.Record{TableName: table, ModType: mod, Mod: record.ModJSON{KeysJSON: keys, NewValuesJSON: vals},
		CommitTimestamp: record.Timestamp{Seconds: 1718000000}, RecordSequence: "00000001"}
}

func TestToSource(t *testing.T) {
	tests := []struct {
		name    string
		names   Names
		rec     record.Record
		want    Row
		wantErr string // substring; "" for success
		skip    bool   // want ErrTableNotAtSource
	}{
		{
			name: "identity insert: Spanner-only column not written, source-only column left alone, timestamp shifted to +10:00",
			rec:  rec("Users", "INSERT", `{"id":"7"}`, `{"name":"Ann","time_colm":"2024-02-02T20:00:00Z","spanner_only":"x"}`),
			want: Row{Table: "Users", Columns: []string{"id", "name", "time_colm"}, Values: []any{int64(7), "Ann", "2024-02-03 06:00:00"},
				KeyColumns: []string{"id"}, KeyValues: []any{int64(7)}},
		},
		{
			name: "nulls are written as NULL",
			rec:  rec("Users", "UPDATE", `{"id":"7"}`, `{"name":null,"time_colm":null}`),
			want: Row{Table: "Users", Columns: []string{"id", "name", "time_colm"}, Values: []any{int64(7), nil, nil},
				KeyColumns: []string{"id"}, KeyValues: []any{int64(7)}},
		},
		{
			name: "identity delete by key",
			rec:  rec("Users", "DELETE", `{"id":"7"}`, `{}`),
			want: Row{Table: "Users", Delete: true, KeyColumns: []string{"id"}, KeyValues: []any{int64(7)}},
		},
		{
			name:  "renamed table and columns, shard-id column not written",
			names: testNames,
			rec:   rec("Singers", "INSERT", `{"SingerId":"1"}`, `{"FirstName":"Marc","migration_shard_id":"shard1"}`),
			want: Row{Table: "singers", Columns: []string{"singer_id", "first_name"}, Values: []any{int64(1), "Marc"},
				KeyColumns: []string{"singer_id"}, KeyValues: []any{int64(1)}},
		},
		{
			name:  "override renames one column, others keep their names",
			names: testNames,
			rec:   rec("Target_Table_1", "INSERT", `{"id_col1":"3"}`, `{"Target_Name_Col_1":"n","data_col1":"d"}`),
			want: Row{Table: "source_table1", Columns: []string{"id_col1", "name_col1", "data_col1"}, Values: []any{int64(3), "n", "d"},
				KeyColumns: []string{"id_col1"}, KeyValues: []any{int64(3)}},
		},
		{
			name:  "renamed Spanner key column is a source non-key column",
			names: testNames,
			rec:   rec("child21", "UPDATE", `{"id":"10","child_id":"20"}`, `{"update_ts":"2024-01-01T00:00:00Z","migration_shard_id":"s"}`),
			want: Row{Table: "child21", Columns: []string{"child_id", "parent_id", "update_ts"}, Values: []any{int64(20), int64(10), "2024-01-01 10:00:00"},
				KeyColumns: []string{"child_id"}, KeyValues: []any{int64(20)}},
		},
		{
			name: "generated source key: upsert leaves it to MySQL",
			rec:  rec("gen_pk", "INSERT", `{"gen":"x "}`, `{"a":"x","b":"y"}`),
			want: Row{Table: "gen_pk", Columns: []string{"a", "b"}, Values: []any{"x", "y"}, LockKey: []any{}},
		},
		{
			name: "generated source key: delete by every other column of the row read back",
			rec:  rec("gen_pk", "DELETE", `{"gen":"x "}`, `{"a":"x","b":null}`),
			want: Row{Table: "gen_pk", Delete: true, KeyColumns: []string{"a", "b"}, KeyValues: []any{"x", nil}, LockKey: []any{}},
		},
		{
			name: "partly generated source key: an upsert by the key columns it writes, locked by them",
			rec:  rec("gen_part", "INSERT", `{"a":"x"}`, `{"b":"y"}`),
			want: Row{Table: "gen_part", Columns: []string{"b", "a"}, Values: []any{"y", "x"},
				KeyColumns: []string{"a"}, KeyValues: []any{"x"}, LockKey: []any{"x"}},
		},
		{
			name: "partly generated source key: a delete by every other column, locked as the upsert",
			rec:  rec("gen_part", "DELETE", `{"a":"x"}`, `{"b":"y"}`),
			want: Row{Table: "gen_part", Delete: true, KeyColumns: []string{"b", "a"}, KeyValues: []any{"y", "x"}, LockKey: []any{"x"}},
		},
		{
			name:    "generated source key: delete without the row read back",
			rec:     rec("gen_pk", "DELETE", `{"gen":"x "}`, `{}`),
			wantErr: `column "a": key column of source table gen_pk comes from Spanner column "a", which is not a Spanner key column, and the deleted row was not read from Spanner`,
		},
		{
			name: "Spanner generated columns feed plain source columns",
			rec:  rec("to_gen", "INSERT", `{"gk":"k "}`, `{"a":"k","g":"k "}`),
			want: Row{Table: "to_gen", Columns: []string{"a", "g", "gk"}, Values: []any{"k", "k ", "k "},
				KeyColumns: []string{"gk"}, KeyValues: []any{"k "}},
		},
		{
			name:    "swapped names: the source key comes from another Spanner key column, no read needed",
			names:   Names{Tables: map[string]TableNames{"child21": {Source: "child21", Columns: map[string]string{"id": "child_id", "child_id": "parent_id"}}}},
			rec:     rec("child21", "DELETE", `{"id":"10","child_id":"20"}`, `{}`),
			want:    Row{Table: "child21", Delete: true, KeyColumns: []string{"child_id"}, KeyValues: []any{int64(10)}},
			wantErr: "",
		},
		{
			name:    "value that does not fit is a mapping error naming table and column",
			rec:     rec("Users", "INSERT", `{"id":"7"}`, `{"name":"a name much longer than twenty characters"}`),
			wantErr: `table "Users" column "name": convert column "name"`,
		},
		{
			name:    "key value missing",
			rec:     rec("Users", "INSERT", `{}`, `{"name":"x"}`),
			wantErr: `column "id": key column of source table Users has no value in the change record (Spanner column "id")`,
		},
		{
			name:    "bad keys JSON",
			rec:     rec("Users", "INSERT", `{"id":`, `{}`),
			wantErr: `table "Users": keys {"id": are not a JSON object`,
		},
		{
			name:    "new values not an object",
			rec:     rec("Users", "INSERT", `{"id":"1"}`, `[1]`),
			wantErr: `table "Users": new values [1] are not a JSON object`,
		},
		{
			name:    "source table without primary key, synthetic key named",
			names:   testNames,
			rec:     rec("nopk", "INSERT", `{"synth_id":"a"}`, `{"v":"1"}`),
			wantErr: `source table "nopk": it has no primary key, so changes cannot be applied to it (Spanner's key "synth_id" is a synthetic key that the source does not have)`,
		},
		{name: "table missing at the source", rec: rec("Missing", "INSERT", `{"id":"1"}`, `{}`), skip: true},
		{name: "session file does not list the table", names: Names{Listed: true}, rec: rec("Users", "INSERT", `{"id":"1"}`, `{}`), skip: true},
		{
			name: "source table found case-insensitively",
			rec:  rec("MixedCase", "INSERT", `{"id":"1"}`, `{}`),
			want: Row{Table: "mixedcase", Columns: []string{"id"}, Values: []any{int64(1)}, KeyColumns: []string{"id"}, KeyValues: []any{int64(1)}},
		},
		{name: "table not in the Spanner schema", rec: rec("Nope", "INSERT", `{}`, `{}`), wantErr: `table "Nope" is not in the Spanner schema read at launch`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newMapper(tt.names).ToSource(tt.rec)
			switch {
			case tt.skip:
				if !errors.Is(err, ErrTableNotAtSource) {
					t.Fatalf("err = %v, want ErrTableNotAtSource", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case !reflect.DeepEqual(got, tt.want):
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestErrorsAreTyped checks that every failure of a known table is a
// *Error (severe) or a skip, so none is retried forever.
func TestErrorsAreTyped(t *testing.T) {
	m := newMapper(testNames)
	for _, r := range []record.Record{
		rec("Users", "INSERT", `{"id":"x"}`, `{}`),
		rec("Users", "INSERT", `{}`, `{}`),
		rec("nopk", "DELETE", `{"synth_id":"a"}`, `{}`),
		rec("Users", "INSERT", `{"id":"1"}`, `{"time_colm":"yesterday"}`),
	} {
		_, err := m.ToSource(r)
		var me *Error
		if !errors.As(err, &me) {
			t.Errorf("%s %s: err = %v (%T), want *mapping.Error", r.TableName, r.Mod.KeysJSON, err, err)
		}
		if me != nil && r.Mod.NewValuesJSON != "{}" && me.Column != "" && !spannervalue.IsConversionError(err) {
			t.Errorf("%v: a bad value should keep its *spannervalue.ConversionError", err)
		}
	}
}

func TestToSourceWithCustomValues(t *testing.T) {
	m := newMapper(Names{})
	r := rec("Users", "INSERT", `{"id":"7"}`, `{"name":"ann","time_colm":"2024-02-02T20:00:00Z"}`)
	tests := []struct {
		name    string
		custom  string
		want    []any // values of id, name, time_colm, src_only
		wantErr string
	}{
		{name: "no answer keeps the row", custom: `{}`, want: []any{int64(7), "ann", "2024-02-03 06:00:00"}},
		{name: "string replaces value", custom: `{"name":"ANN"}`, want: []any{int64(7), "ANN", "2024-02-03 06:00:00"}},
		{name: "source-only column filled, case-insensitive name", custom: `{"SRC_ONLY": 42}`, want: []any{int64(7), "ann", "2024-02-03 06:00:00", int64(42)}},
		{name: "null", custom: `{"name":null}`, want: []any{int64(7), nil, "2024-02-03 06:00:00"}},
		{name: "local datetime text is taken as is", custom: `{"time_colm":"2024-01-01 01:02:03"}`, want: []any{int64(7), "ann", "2024-01-01 01:02:03"}},
		{name: "key from the transformation", custom: `{"id":"8"}`, want: []any{int64(8), "ann", "2024-02-03 06:00:00"}},
		{name: "unknown column", custom: `{"nope":1}`, wantErr: `custom transformation answered column "nope", which source table Users does not have`},
		{name: "value that does not fit", custom: `{"src_only":"abc"}`, wantErr: `column "src_only": custom transformation value`},
		{name: "fraction into an int", custom: `{"src_only":1.5}`, wantErr: `column "src_only"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var custom map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tt.custom), &custom); err != nil {
				t.Fatal(err)
			}
			got, err := m.ToSourceWith(r, values(t, r), custom)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Values, tt.want) {
				t.Errorf("values %#v (columns %v), want %#v", got.Values, got.Columns, tt.want)
			}
		})
	}
	if _, err := newMapper(Names{}).ToSourceWith(rec("gen_pk", "INSERT", `{"gen":"x"}`, `{}`), values(t, rec("gen_pk", "INSERT", `{"gen":"x"}`, `{}`)), map[string]json.RawMessage{"gen": json.RawMessage(`"y"`)}); err == nil || !strings.Contains(err.Error(), "generated") {
		t.Errorf("writing a generated column: err = %v", err)
	}
}

func TestNeedsRead(t *testing.T) {
	childNames := Names{Tables: map[string]TableNames{"child21": {Source: "child21", Columns: map[string]string{"id": "parent_id"}}}}
	keyFromNonKey := Names{Tables: map[string]TableNames{"Users": {Source: "Users", Columns: map[string]string{"name": "id", "id": "name"}}}}
	tests := []struct {
		name       string
		names      Names
		rec        record.Record
		allDeletes bool
		want       Read
		wantOK     bool
	}{
		{name: "delete by Spanner key", rec: rec("Users", "DELETE", `{"id":"1"}`, `{}`)},
		{name: "delete by Spanner key, transformation wants the row", allDeletes: true, rec: rec("Users", "DELETE", `{"id":"1"}`, `{}`),
			want: Read{Columns: []string{"name", "time_colm", "spanner_only"}, BeforeCommit: true}, wantOK: true},
		{name: "delete whose source key is a Spanner non-key column", names: keyFromNonKey, rec: rec("Users", "DELETE", `{"id":"1"}`, `{}`),
			want: Read{Columns: []string{"name", "time_colm", "spanner_only"}, BeforeCommit: true}, wantOK: true},
		{name: "delete already read back", names: keyFromNonKey, rec: rec("Users", "DELETE", `{"id":"1"}`, `{"name":"x"}`)},
		{name: "delete under a generated source key", rec: rec("gen_pk", "DELETE", `{"gen":"x "}`, ``),
			want: Read{Columns: []string{"a", "b"}, BeforeCommit: true}, wantOK: true},
		{name: "source key is a Spanner key column under another name", names: childNames, rec: rec("child21", "DELETE", `{"id":"1","child_id":"2"}`, `{}`)},
		{name: "insert with generated Spanner columns", rec: rec("to_gen", "INSERT", `{"gk":"k "}`, `{"a":"k"}`),
			want: Read{Columns: []string{"g"}}, wantOK: true},
		{name: "insert already completed", rec: rec("to_gen", "INSERT", `{"gk":"k "}`, `{"a":"k","g":"k "}`)},
		{name: "table not at source", allDeletes: true, rec: rec("Missing", "DELETE", `{"id":"1"}`, `{}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := newMapper(tt.names).NeedsRead(tt.rec, values(t, tt.rec), tt.allDeletes)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NeedsRead = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestWarningsAndLookups(t *testing.T) {
	m := newMapper(testNames)
	w := strings.Join(m.Warnings(), "\n")
	for _, want := range []string{
		`table "Missing": table does not exist at the source (no source table "Missing"); its changes go to the skip directory`,
		`table "nopk": source table "nopk": it has no primary key`,
		`table "gen_pk": the source key of gen_pk is not Spanner's key, so each delete reads the deleted row from Spanner`,
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if c, ok := m.ShardIDColumn("Singers"); !ok || c != "migration_shard_id" {
		t.Errorf("ShardIDColumn(Singers) = %q, %v", c, ok)
	}
	if _, ok := m.ShardIDColumn("Users"); ok {
		t.Error("Users has no shard-id column")
	}
	if !m.AtSource("Singers") || m.AtSource("Missing") || m.AtSource("Nope") {
		t.Error("AtSource: Singers is at the source, Missing and Nope are not")
	}
	if !m.ReadsSpanner() {
		t.Error("gen_pk deletes read from Spanner")
	}
	if src := (Mapper{Spanner: schema.Spanner{Tables: map[string]schema.SpannerTable{"Users": testSpanner.Tables["Users"]}}, Source: testSource, Values: convert.Values{}}); src.ReadsSpanner() {
		t.Error("Users alone needs no reads")
	}
}

func TestWarnsOfMissingSourceColumn(t *testing.T) {
	names := Names{Listed: true, Origin: "session file s.json", Tables: map[string]TableNames{
		"Users": {Source: "Users", Columns: map[string]string{"id": "id", "name": "nme", "time_colm": "time_colm"}},
	}}
	w := strings.Join(newMapper(names).Warnings(), "\n")
	want := `table "Users": the session file s.json maps Spanner column "name" to source column "nme", which source table Users lacks; the column is not replicated`
	if !strings.Contains(w, want) {
		t.Errorf("warnings lack %q:\n%s", want, w)
	}
	if strings.Contains(w, `"time_colm"`) || strings.Contains(w, `"spanner_only"`) {
		t.Errorf("only the missing column deserves a warning:\n%s", w)
	}
}

func TestSessionColumnMissingInSpanner(t *testing.T) {
	names := Names{Listed: true, Origin: "session file s.json", Tables: map[string]TableNames{
		"Users": {Source: "Users", Columns: map[string]string{"id": "id", "nam": "name"}},
	}}
	w := strings.Join(newMapper(names).Warnings(), "\n")
	want := `table "Users": the session file s.json maps Spanner column "nam", which Spanner lacks, to source column "name"; that source column is not written`
	if !strings.Contains(w, want) {
		t.Errorf("warnings lack %q:\n%s", want, w)
	}
}

func TestCheckNames(t *testing.T) {
	good := Names{Tables: map[string]TableNames{"Target_Table_1": {Source: "source_table1", Columns: map[string]string{"Target_Name_Col_1": "name_col1"}}}}
	if err := CheckNames(good, testSpanner); err != nil {
		t.Errorf("good names: %v", err)
	}
	bad := Names{Origin: "tableOverrides", Tables: map[string]TableNames{
		"Target_Table_2": {Source: "source_table2"},
		"Users":          {Source: "users", Columns: map[string]string{"nam": "name"}},
	}}
	err := CheckNames(bad, testSpanner)
	for _, want := range []string{`tableOverrides: `, `Spanner table "Target_Table_2" (for source table "source_table2") does not exist`, `Spanner table "Users" has no column "nam" (for source column users.name)`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckNames error %v lacks %q", err, want)
		}
	}
	if err := CheckNames(Names{Listed: true, Tables: map[string]TableNames{"Target_Table_2": {Source: "source_table2"}}}, testSpanner); err != nil {
		t.Errorf("a session file may know tables Spanner lacks: %v", err)
	}
	// Nor columns: one dropped from Spanner since the migration is a
	// warning of the Mapper (TestSessionColumnMissingInSpanner).
	if err := CheckNames(Names{Listed: true, Origin: "session file s.json", Tables: bad.Tables}, testSpanner); err != nil {
		t.Errorf("a session file may know columns Spanner lacks: %v", err)
	}
}

// A DELETE by a column that never compares exactly fails (to severe)
// rather than matching nothing; the launch already refuses such a mapping.
func TestDeleteByInexactColumn(t *testing.T) {
	m := &Mapper{
		Spanner: schema.Spanner{Tables: map[string]schema.SpannerTable{"J": spTable("J", []string{"id"}, "id INT64", "doc JSON")}},
		Source:  schema.Source{Tables: map[string]schema.SourceTable{"J": srcTable("J", []string{"id", "g"}, "id bigint", "doc json", "g varchar(64) GENERATED")}},
		Values:  convert.Values{},
	}
	if err := m.CheckDeletes(); err == nil || !strings.Contains(err.Error(), `table "J" column "doc"`) {
		t.Errorf("CheckDeletes: %v, want the JSON column named", err)
	}
	if _, err := m.ToSource(rec("J", "DELETE", `{"id":"1"}`, `{"doc":"{}"}`)); err == nil || !strings.Contains(err.Error(), "never matches exactly") {
		t.Errorf("delete: %v, want an error", err)
	}
	if _, err := m.ToSource(rec("J", "INSERT", `{"id":"1"}`, `{"doc":"{}"}`)); err != nil {
		t.Errorf("insert: %v", err)
	}
}

// values decodes r's keys and new values as a stage does once per record.
func values(t *testing.T, r record.Record) record.Values {
	t.Helper()
	v, err := r.Mod.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
