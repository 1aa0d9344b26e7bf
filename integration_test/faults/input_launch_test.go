package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

var (
	inputItemsSpanner = []string{`CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100)) PRIMARY KEY (Id)`}
	inputItemsMySQL   = []string{"CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(100))"}
	inputItemsTable   = localenv.Table{Name: "Items", Key: []string{"Id"}}
)

// inputItemsSession is a well-formed session file for the Items table, which
// the malformed ones below break.
const inputItemsSession = `{
  "SpSchema": {
    "t1": {"Name": "Items", "ColIds": ["c1", "c2"],
           "ColDefs": {"c1": {"Name": "Id"}, "c2": {"Name": "Name"}}}
  },
  "SrcSchema": {
    "t1": {"Name": "Items", "ColIds": ["c1", "c2"],
           "ColDefs": {"c1": {"Name": "Id"}, "c2": {"Name": "Name"}}}
  },
  "SyntheticPKeys": {}
}`

// TestMalformedLaunchInputs launches with one broken input at a time. Each
// launch must refuse with an error naming the parameter and the file (and
// where in it, when there is a where), before it creates anything: the
// metadata database stays empty, so no shadow table or partition state
// remembers the failed launch. A launch with the inputs fixed and the same
// start timestamp then replicates every change made before: nothing was
// lost.
func TestMalformedLaunchInputs(t *testing.T) {
	e := newInputEnv(t, "bad", inputItemsSpanner, inputItemsMySQL)
	ctx := context.Background()
	start := time.Now()
	cols := []string{"Id", "Name"}
	if err := inputApply(ctx, e.client,
		[]*spanner.Mutation{spanner.Insert("Items", cols, []any{int64(1), "one"}), spanner.Insert("Items", cols, []any{int64(2), "two"})},
		[]*spanner.Mutation{spanner.Insert("Items", cols, []any{int64(3), "three"})},
		[]*spanner.Mutation{spanner.Update("Items", cols, []any{int64(2), "two, renamed"})},
		[]*spanner.Mutation{spanner.Delete("Items", spanner.Key{int64(3)})},
	); err != nil {
		t.Fatal(err)
	}
	good := e.values(start, 20*time.Second)

	// Shard files.
	one := e.shardJSON(t, "s1")
	notJSON := `{"shardConfigs": [
  {"logicalShardId": "s1", "host": "127.0.0.1" "port": "3306"}
]}`
	noUser, noDB := e.shardJSON(t, "a"), e.shardJSON(t, "b")
	delete(noUser, "user")
	delete(noDB, "dbName")
	incomplete, _ := json.MarshalIndent(map[string]any{"shardConfigs": []any{noUser, noDB}}, "", "  ")
	sharded, _ := json.Marshal(map[string]any{"shardConfigs": []any{one}})

	// Session files.
	sessionNotJSON := strings.Replace(inputItemsSession, `"ColIds": ["c1", "c2"],`, `"ColIds": ["c1", "c2"],,`, 1)
	sessionInconsistent := `{
  "SpSchema": {
    "t1": {"Name": "Items", "ColIds": ["c1", "c2", "c3"],
           "ColDefs": {"c1": {"Name": "Id"}, "c2": {"Name": "Name"}}},
    "t2": {"Name": "Other", "ColIds": ["c1"], "ColDefs": {"c1": {"Name": "Id"}}, "ShardIdColumn": "c9"}
  },
  "SrcSchema": {
    "t1": {"Name": "Items", "ColIds": ["c1", "c2"], "ColDefs": {"c1": {"Name": "Id"}, "c2": {"Name": "Name"}}},
    "t2": {"Name": "Other", "ColIds": ["c1"], "ColDefs": {"c1": {"Name": "Id"}}}
  },
  "SyntheticPKeys": {}
}`

	type launch struct {
		name string
		// files are written to a temp dir and set as parameters: param ->
		// content. want may say {param} for the file's path.
		files  map[string]string
		values params.Values
		want   []string
	}
	launches := []launch{
		{
			name:  "shard file is not JSON",
			files: map[string]string{"sourceShardsFilePath": notJSON},
			want: []string{fmt.Sprintf("sourceShardsFilePath {sourceShardsFilePath}: not valid JSON at line 2, column %d: invalid character '\"'",
				strings.Index(strings.Split(notJSON, "\n")[1], `"port"`)+1)},
		},
		{
			name:  "shards miss fields",
			files: map[string]string{"sourceShardsFilePath": string(incomplete)},
			want: []string{
				`sourceShardsFilePath {sourceShardsFilePath}: shard 0 (logicalShardId "a"): user is missing`,
				`shard 1 (logicalShardId "b"): dbName is missing`,
			},
		},
		{
			name:  "session file is not JSON",
			files: map[string]string{"sessionFilePath": sessionNotJSON},
			want: []string{fmt.Sprintf("sessionFilePath {sessionFilePath}: not valid JSON at line 3, column %d: invalid character ','",
				strings.Index(strings.Split(sessionNotJSON, "\n")[2], ",,")+2)},
		},
		{
			name:  "session file contradicts itself",
			files: map[string]string{"sessionFilePath": sessionInconsistent},
			want: []string{
				`sessionFilePath {sessionFilePath}: SpSchema table t1 ("Items"): ColIds lists c3, which is not in ColDefs`,
				`SpSchema table t2 ("Other"): ShardIdColumn "c9" is not one of its ColDefs`,
			},
		},
		{
			name: "shard module is not WebAssembly",
			files: map[string]string{"sourceShardsFilePath": string(sharded),
				"shardingCustomJarPath": "this is a JAR, not a WebAssembly module"},
			values: params.Values{"shardingCustomClassName": "shard_id", "isShardedMigration": "true"},
			want:   []string{"shardingCustomJarPath: plugin {shardingCustomJarPath} is not a valid WebAssembly module"},
		},
		{
			name:   "transformation module is not WebAssembly",
			files:  map[string]string{"transformationJarPath": "PK\x03\x04 a JAR"},
			values: params.Values{"transformationClassName": "transform"},
			want:   []string{"transformationJarPath: plugin {transformationJarPath} is not a valid WebAssembly module"},
		},
		{
			name:   "transformation module is empty",
			files:  map[string]string{"transformationJarPath": ""},
			values: params.Values{"transformationClassName": "transform"},
			want:   []string{"transformationJarPath: plugin {transformationJarPath} is not a valid WebAssembly module"},
		},
	}
	for _, l := range launches {
		t.Run(l.name, func(t *testing.T) {
			v := params.Values{}
			for k, val := range good {
				v[k] = val
			}
			for k, val := range l.values {
				v[k] = val
			}
			var paths []string
			for param, content := range l.files {
				v[param] = writeInputFile(t, param+".file", content)
				paths = append(paths, "{"+param+"}", v[param])
			}
			err := e.launchError(t, v)
			t.Logf("launch error:\n%v", err)
			for _, w := range l.want {
				w = strings.NewReplacer(paths...).Replace(w)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the launch error lacks %q", w)
				}
			}
			if tables := e.metadataTables(t); len(tables) > 0 {
				t.Errorf("the refused launch created %v in the metadata database", tables)
			}
			if _, err := os.Stat(e.dlqDir); !os.IsNotExist(err) {
				t.Errorf("the refused launch touched the DLQ directory (stat: %v)", err)
			}
		})
	}

	testrun.Plan(t, e.prepare(t, good, inputPolls(time.Hour)))
	if ms := e.compareAll(t, inputItemsTable); len(ms) != 0 {
		t.Errorf("%d mismatches after the fixed launch, want none", len(ms))
	}
	for _, l := range e.dlqLines(t, "") {
		t.Errorf("DLQ holds %s %s: %s", l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
	}
}

// TestMalformedRetryLines starts with a retry/ file in which valid lines
// sit among lines that are not DLQ records: text, a line cut short (a
// crash while writing), a record with an impossible modType. The valid
// records must be applied, each bad line moved to severe/ unchanged with
// what is wrong and where (file and line), and retry/ emptied.
func TestMalformedRetryLines(t *testing.T) {
	e := newInputEnv(t, "rtl", inputItemsSpanner, inputItemsMySQL)
	ctx := context.Background()
	cols := []string{"Id", "Name"}
	// Rows committed before the run starts reach MySQL only through the
	// retry file, as if their first attempt had failed.
	line := func(id int64, name string) string {
		at, err := e.client.Apply(ctx, []*spanner.Mutation{spanner.Insert("Items", cols, []any{id, name})})
		if err != nil {
			t.Fatal(err)
		}
		b, err := dlq.Encode(record.Record{
			CommitTimestamp: record.FromTime(at), ServerTransactionID: "earlier", RecordSequence: "00000000",
			TableName: "Items", ModType: record.ModInsert, NumberOfRecordsInTransaction: 1,
			Mod: record.ModJSON{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, id), OldValuesJSON: "{}",
				NewValuesJSON: fmt.Sprintf(`{"Name":%q}`, name)},
		}, "MySQL: Error 1452 (23000): Cannot add or update a child row")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	valid20, valid22 := line(20, "twenty"), line(22, "twenty-two")
	bad := []string{
		"this is not JSON",
		valid22[:len(valid22)/2],
		`{"message":{"tableName":"Items","modType":"UPSERT","recordSequence":"0","mod":{"keysJson":"{\"Id\":\"21\"}"}},"error_message":"earlier failure"}`,
	}
	retryFile := filepath.Join(e.dlqDir, dlq.RetryDir, "2024/06/10/06/13/error-mixed.json")
	if err := os.MkdirAll(filepath.Dir(retryFile), 0o755); err != nil {
		t.Fatal(err)
	}
	content := strings.Join([]string{valid20, bad[0], bad[1], bad[2], valid22}, "\n") + "\n"
	if err := os.WriteFile(retryFile, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	plan := e.prepare(t, e.values(start, 20*time.Second), inputPolls(3*time.Second))
	writes := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		writes <- inputApply(ctx, e.client,
			[]*spanner.Mutation{spanner.Insert("Items", cols, []any{int64(1), "one"}), spanner.Insert("Items", cols, []any{int64(2), "two"})},
			[]*spanner.Mutation{spanner.Update("Items", cols, []any{int64(1), "one, renamed"})})
	}()
	testrun.Plan(t, plan)
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}

	if ms := e.compareAll(t, inputItemsTable); len(ms) != 0 {
		t.Errorf("%d mismatches, want none", len(ms))
	}
	if files, err := dlq.List(ctx, e.dlqDir, dlq.RetryDir); err != nil || len(files) > 0 {
		t.Errorf("retry/ still holds %v (%v)", files, err)
	}
	wantReason := []string{"not a DLQ line", "not a DLQ line", `"message" has modType "UPSERT", want INSERT, UPDATE or DELETE`}
	var severe []map[string]json.RawMessage
	files, err := dlq.List(ctx, e.dlqDir, dlq.SevereDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("severe/ line %q: %v", l, err)
			}
			severe = append(severe, m)
		}
	}
	if len(severe) != len(bad) {
		t.Errorf("severe/ has %d lines, want the %d bad ones", len(severe), len(bad))
	}
	for i, b := range bad {
		where := fmt.Sprintf("%s line %d: ", retryFile, i+2)
		found := false
		for _, m := range severe {
			var why string
			_ = json.Unmarshal(m["error_message"], &why)
			if !strings.HasPrefix(why, where) {
				continue
			}
			found = true
			if !strings.Contains(why, wantReason[i]) {
				t.Errorf("line %d went to severe/ with %q, want %q", i+2, why, wantReason[i])
			}
			if !inputSameLine(m["message"], b) {
				t.Errorf("line %d went to severe/ as %s, want it unchanged: %s", i+2, m["message"], b)
			}
		}
		if !found {
			t.Errorf("severe/ has no line saying %q", where)
		}
	}
}

// inputSameLine reports whether a severe/ line's message holds the original
// line: as a JSON string when it was not JSON, else as the JSON itself.
func inputSameLine(msg json.RawMessage, orig string) bool {
	var s string
	if json.Unmarshal(msg, &s) == nil {
		return s == orig
	}
	var a, b any
	return json.Unmarshal(msg, &a) == nil && json.Unmarshal([]byte(orig), &b) == nil && reflect.DeepEqual(a, b)
}

// TestNoDeletePrivilege launches with a shard user that may select, insert
// and update but not delete (it may delete in another database only). The
// launch must refuse, naming the shard, the user and DELETE alone, before
// creating anything; once DELETE is granted the same launch goes through.
func TestNoDeletePrivilege(t *testing.T) {
	e := newInputEnv(t, "nodel", inputItemsSpanner, inputItemsMySQL)
	cfg, err := driver.ParseDSN(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	user := "revrepl_nodel_" + hex.EncodeToString(suffix)
	for _, st := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'nodel-pass'", user),
		fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON `%s`.* TO '%s'@'%%'", cfg.DBName, user),
		fmt.Sprintf("GRANT DELETE ON `%s_other`.* TO '%s'@'%%'", cfg.DBName, user),
	} {
		if _, err := e.mysql.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	t.Cleanup(func() { e.mysql.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)) })

	shard := e.shardJSON(t, "orders1")
	shard["user"], shard["password"] = user, "nodel-pass"
	b, _ := json.Marshal(map[string]any{"shardConfigs": []any{shard}})
	v := e.values(time.Now(), 20*time.Second)
	v["sourceShardsFilePath"] = writeInputFile(t, "shards.json", string(b))

	err = e.launchError(t, v)
	t.Logf("launch error:\n%v", err)
	want := fmt.Sprintf("sourceShardsFilePath %s: shard \"orders1\" (%s@%s/%s): the user lacks DELETE on database %q (grant them with GRANT DELETE ON `%s`.* TO ...)",
		v["sourceShardsFilePath"], user, cfg.Addr, cfg.DBName, cfg.DBName, cfg.DBName)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("the launch error lacks %q", want)
	}
	if tables := e.metadataTables(t); len(tables) > 0 {
		t.Errorf("the refused launch created %v in the metadata database", tables)
	}

	if _, err := e.mysql.Exec(fmt.Sprintf("GRANT DELETE ON `%s`.* TO '%s'@'%%'", cfg.DBName, user)); err != nil {
		t.Fatal(err)
	}
	e.prepare(t, v, inputPolls(time.Hour))
}
