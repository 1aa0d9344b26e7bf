package integration_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

var verifySpanner = []string{
	`CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(50), Price NUMERIC, Seen TIMESTAMP, Data BYTES(20), Score FLOAT64) PRIMARY KEY (Id)`,
	`CREATE TABLE Notes (Id INT64 NOT NULL, Body STRING(MAX)) PRIMARY KEY (Id)`,
	`CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')`,
}

// Notes is Spanner-only: verify counts it as a skipped table.
var verifyMySQL = []string{
	`CREATE TABLE Items (Id BIGINT NOT NULL PRIMARY KEY, Name VARCHAR(50), Price DECIMAL(12,3), Seen DATETIME(6), Data VARBINARY(20), Score DOUBLE)`,
}

// verifyEnv is two MariaDB shards (even ids in shardA, odd in shardB, by
// the example WebAssembly shard fetcher, so that the template binary can
// load it too) replicated from an emulator database.
type verifyEnv struct {
	dbA, dbB  *sql.DB
	client    *spanner.Client
	values    params.Values
	dlqDir    string
	runs      int
	emuDBName string
	bin       string
	// rechecked is keys_rechecked of the last verifyRun.
	rechecked int64
}

func newVerifyEnv(t *testing.T, prefix string) *verifyEnv {
	emu := testenv.Spanner(t)
	dbA, dsnA := testenv.MySQL(t)
	dbB, dsnB := testenv.MySQL(t)
	execAll(t, dbA, verifyMySQL)
	execAll(t, dbB, verifyMySQL)
	testenv.ShardFile(t, dbA, dsnA, dsnB)
	shardFile := writeShardFile(t,
		shardSpec{ID: "shardA", DSN: dsnA, User: testenv.ShardUser, Password: testenv.ShardPassword},
		shardSpec{ID: "shardB", DSN: dsnB, User: testenv.ShardUser, Password: testenv.ShardPassword})
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	mainDB := testenv.CreateDatabase(t, emu, prefix+suffix, false, verifySpanner)
	testenv.CreateDatabase(t, emu, prefix+"meta"+suffix, false, nil)
	client, err := spanner.NewClient(context.Background(), mainDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	e := &verifyEnv{dbA: dbA, dbB: dbB, client: client, dlqDir: t.TempDir(), emuDBName: prefix + suffix}
	e.values = params.Values{
		"changeStreamName": "allstream", "instanceId": emu.Instance, "databaseId": prefix + suffix,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": prefix + "meta" + suffix,
		"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": e.dlqDir, "isShardedMigration": "true",
		"shardingCustomJarPath": exampleModule(t), "shardingCustomClassName": "shard_id",
		"shardingCustomParameters": `{"column":"Id","shards":["shardA","shardB"]}`,
	}
	return e
}

func (e *verifyEnv) with(kv ...string) params.Values {
	v := params.Values{}
	for k, x := range e.values {
		v[k] = x
	}
	for i := 0; i < len(kv); i += 2 {
		v[kv[i]] = kv[i+1]
	}
	return v
}

// replicate runs a bounded regular job for d, with its own partition
// metadata table, polling retry/ every second; work runs beside it.
func (e *verifyEnv) replicate(t *testing.T, d time.Duration, work func() error) {
	t.Helper()
	e.runs++
	start := time.Now().UTC()
	writes := make(chan error, 1)
	go func() { writes <- work() }()
	testrun.Pipeline(t, context.Background(), e.with(
		"startTimestamp", start.Format(time.RFC3339Nano), "endTimestamp", start.Add(d).Format(time.RFC3339Nano),
		"spannerMetadataTableName", fmt.Sprintf("verify_meta_%d", e.runs),
	), pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: time.Second})
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}
}

// verifyRun runs runMode=verify and returns its result and its mismatches.
func (e *verifyEnv) verifyRun(t *testing.T, env pipeline.Env, kv ...string) (pipeline.VerifyResult, []verify.Mismatch) {
	t.Helper()
	ctx := context.Background()
	cfg, err := params.Parse(e.with(append([]string{"runMode", "verify"}, kv...)...), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if env.VerifyRecheckWait == 0 {
		env.VerifyRecheckWait = 20 * time.Second
	}
	env.VerifyRowsPerRange = 3 // several key ranges per table and shard
	plan, err := pipeline.Prepare(ctx, cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	res := testrun.Plan(t, plan)
	r, err := pipeline.ReadVerifyResult(ctx, plan.Verify.Out)
	if err != nil {
		t.Fatal(err)
	}
	e.rechecked = testrun.Counter(res, "keys_rechecked")
	if n := testrun.Counter(res, "mismatches"); n != r.Mismatches {
		t.Errorf("mismatches counter = %d, summary says %d", n, r.Mismatches)
	}
	files, _ := filepath.Glob(filepath.Join(plan.Verify.Out, "mismatches-*.jsonl"))
	var ms []verify.Mismatch
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var m verify.Mismatch
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: %q: %v", f, l, err)
			}
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return describe(ms[i]) < describe(ms[j]) })
	return r, ms
}

// launchVerify runs the template binary with runMode=verify as a user
// would on the local runner: its last line and exit code tell the result.
func (e *verifyEnv) launchVerify(t *testing.T, wantExit int, wantLast string) {
	t.Helper()
	if e.bin == "" {
		e.bin = testenv.BuildTemplate(t)
	}
	args := []string{"--runMode=verify", "--max_num_workers=1"}
	for k, v := range e.values {
		args = append(args, "--"+k+"="+v)
	}
	cmd := exec.Command(e.bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if code != wantExit || lines[len(lines)-1] != wantLast {
		t.Errorf("the template's verify run exited %d with last line %q, want %d and %q; output:\n%s\n%s", code, lines[len(lines)-1], wantExit, wantLast, out, stderr.String())
	}
}

func describe(m verify.Mismatch) string {
	s := fmt.Sprintf("%s/%s/%s/%s", m.Shard, m.Table, m.Key[0].Text, m.Outcome)
	for _, c := range m.Columns {
		s += fmt.Sprintf(" %s:%s!=%s", c.Column, c.Spanner, c.Target)
	}
	return s
}

func itemsMutations(from, to int64) []*spanner.Mutation {
	var ms []*spanner.Mutation
	for id := from; id <= to; id++ {
		price, _ := new(big.Rat).SetString(fmt.Sprintf("%d.25", id))
		ms = append(ms, spanner.InsertOrUpdate("Items", []string{"Id", "Name", "Price", "Seen", "Data", "Score"},
			[]any{id, fmt.Sprintf("item %d", id), price, time.Date(2024, 5, 1, 10, 0, int(id), 0, time.UTC), []byte{byte(id), 0}, float64(id) / 3}))
	}
	return ms
}

// Timestamps are whole seconds: the emulator truncates them to seconds in
// change records, so finer ones would differ in the target (and verify
// would rightly say so).

// TestVerifyCorruptAndRepair replicates, verifies (nothing differs), then
// damages the shards on purpose: verify reports exactly the damaged keys
// with the differing columns, verifyRepair writes them to retry/, a
// regular job applies them, and verify then reports nothing.
func TestVerifyCorruptAndRepair(t *testing.T) {
	verifyCorruptAndRepair(t, newVerifyEnv(t, "ver"))
}

// TestVerifyCorruptAndRepairShadowInSource is TestVerifyCorruptAndRepair
// with shadowTableLocation=source: the in-flight rule reads each key's
// shadow row in the shard it was found in (none for the row moved to the
// wrong shard or added there), and the repairs go through the shards'
// shadow tables. Then the in-flight rule itself, with Spanner read at a
// time T before the shard's last changes:
//
//   - key 4 was updated after T and the regular job applied it: the shard
//     differs from Spanner at T, but its shadow row in shardA (written by
//     the writer, under the hash the writer computes) holds a commit after
//     T, so it is in flight; read again at the current time, it is equal;
//   - key 6 differs and its shadow row in shardA says it was applied from
//     a change of the far future: in flight at T and still at the recheck
//     (whose shadow read is the shard's too), so not reported.
func TestVerifyCorruptAndRepairShadowInSource(t *testing.T) {
	e := newVerifyEnv(t, "vsrc")
	e.values["shadowTableLocation"] = "source"
	verifyCorruptAndRepair(t, e)

	ctx := context.Background()
	before := time.Now().UTC()
	e.replicate(t, 8*time.Second, func() error {
		time.Sleep(2 * time.Second)
		_, err := e.client.Apply(ctx, []*spanner.Mutation{spanner.Update("Items", []string{"Id", "Name"}, []any{int64(4), "renamed"})})
		return err
	})
	expectRows(t, e.dbA, "SELECT Name FROM Items WHERE Id = 4", "renamed")
	// The shadow table shows the Spanner key as text beside its hash.
	future := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	res, err := e.dbA.Exec("UPDATE shadow_Items SET processed_commit_ts = ? WHERE Id = '6'", future)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("shardA's shadow_Items has %d rows for key 6, want 1", n)
	}
	if _, err := e.dbA.Exec("UPDATE Items SET Name = 'later' WHERE Id = 6"); err != nil {
		t.Fatal(err)
	}

	r, ms := e.verifyRun(t, pipeline.Env{}, "verifyTimestamp", before.Format(time.RFC3339Nano))
	want := []string{`{"table":"Items","shard":"shardA","counts":{"equal":8,"in_flight":2}}`, `{"table":"Items","shard":"shardB","counts":{"equal":10}}`,
		`{"table":"Notes","counts":{"skipped_table":1}}`, "mismatches: 0"}
	if r.Mismatches != 0 || len(ms) != 0 || strings.Join(r.Lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Spanner at T, keys 4 and 6 applied after T in shardA: summary\n%s\nwant\n%s\nmismatches %v", strings.Join(r.Lines, "\n"), strings.Join(want, "\n"), ms)
	}
	if e.rechecked != 2 {
		t.Errorf("%d keys read again, want 2 (keys 4 and 6)", e.rechecked)
	}
}

// verifyCorruptAndRepair is TestVerifyCorruptAndRepair on e.
func verifyCorruptAndRepair(t *testing.T, e *verifyEnv) {
	ctx := context.Background()
	e.replicate(t, 12*time.Second, func() error {
		time.Sleep(2 * time.Second)
		_, err := e.client.Apply(ctx, append(itemsMutations(1, 20),
			spanner.Insert("Notes", []string{"Id", "Body"}, []any{int64(1), "Spanner only"})))
		return err
	})
	expectRows(t, e.dbA, "SELECT COUNT(*) FROM Items", "10")
	expectRows(t, e.dbB, "SELECT COUNT(*) FROM Items", "10")

	r, ms := e.verifyRun(t, pipeline.Env{})
	if r.Mismatches != 0 || len(ms) != 0 {
		t.Fatalf("after replication: %v, mismatches %v", r.Lines, ms)
	}
	want := []string{`{"table":"Items","shard":"shardA","counts":{"equal":10}}`, `{"table":"Items","shard":"shardB","counts":{"equal":10}}`,
		`{"table":"Notes","counts":{"skipped_table":1}}`, "mismatches: 0"}
	if strings.Join(r.Lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant\n%s", strings.Join(r.Lines, "\n"), strings.Join(want, "\n"))
	}

	// The damage: a row deleted, values changed, a row added, a row moved
	// to the wrong shard.
	for _, q := range []struct {
		db  *sql.DB
		sql string
	}{
		{e.dbA, "DELETE FROM Items WHERE Id = 2"},
		{e.dbB, "UPDATE Items SET Name = 'changed', Price = 3.5 WHERE Id = 3"},
		{e.dbA, "INSERT INTO Items (Id, Name) VALUES (100, 'not in Spanner')"},
		{e.dbB, "DELETE FROM Items WHERE Id = 5"},
		{e.dbA, "INSERT INTO Items (Id, Name, Price, Seen, Data, Score) VALUES (5, 'item 5', 5.25, '2024-05-01 10:00:05', X'0500', 5/3)"},
	} {
		if _, err := q.db.Exec(q.sql); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	// The regular job's applied watermark (verify_meta_1) is at its end,
	// long before the read timestamp: it has finished, so nothing is in
	// flight and no key is read again.
	r, ms = e.verifyRun(t, pipeline.Env{}, "verifyRepair", "true", "spannerMetadataTableName", "verify_meta_1")
	if e.rechecked != 0 {
		t.Errorf("%d keys read again after a finished regular job, want 0", e.rechecked)
	}
	var got []string
	for _, m := range ms {
		got = append(got, describe(m))
	}
	wantMs := []string{
		"shardA/Items/100/extra",
		"shardA/Items/2/missing",
		"shardA/Items/5/extra",
		`shardB/Items/3/different Name:"item 3"!="changed" Price:"3.25"!="3.5"`,
		"shardB/Items/5/missing",
	}
	if strings.Join(got, "\n") != strings.Join(wantMs, "\n") || r.Mismatches != 5 {
		t.Errorf("after the damage: mismatches %d\n%s\nwant\n%s", r.Mismatches, strings.Join(got, "\n"), strings.Join(wantMs, "\n"))
	}
	if n := len(dlqLines(t, e.dlqDir, dlq.RetryDir)); n != 5 {
		t.Errorf("retry/ holds %d repair lines, want 5", n)
	}
	e.launchVerify(t, 1, "mismatches: 5")

	// The regular job re-applies the repairs from retry/.
	e.replicate(t, 10*time.Second, func() error { return nil })
	if files := dlqFiles(t, e.dlqDir, dlq.RetryDir); len(files) != 0 {
		t.Errorf("retry/ still holds %s", readAll(t, files))
	}
	r, ms = e.verifyRun(t, pipeline.Env{})
	if r.Mismatches != 0 || len(ms) != 0 {
		t.Errorf("after the repair: %v, mismatches %v", r.Lines, ms)
	}
	e.launchVerify(t, 0, "mismatches: 0")
	expectRows(t, e.dbA, "SELECT Id FROM Items WHERE Id IN (2, 5, 100) ORDER BY Id", "2")
	expectRows(t, e.dbB, "SELECT Name FROM Items WHERE Id = 3", "item 3")
}

// TestVerifyWhileReplicating verifies while the regular job is applying a
// steady stream of updates: keys changed around the read timestamp are in
// flight, read again once the applied watermark has passed it, and none is
// reported as a mismatch.
func TestVerifyWhileReplicating(t *testing.T) {
	e := newVerifyEnv(t, "vif")
	ctx := context.Background()
	e.replicate(t, 8*time.Second, func() error {
		time.Sleep(2 * time.Second)
		_, err := e.client.Apply(ctx, itemsMutations(1, 20))
		return err
	})

	start := time.Now().UTC()
	cfg, err := params.Parse(e.with(
		"startTimestamp", start.Format(time.RFC3339Nano), "endTimestamp", start.Add(60*time.Second).Format(time.RFC3339Nano),
		"spannerMetadataTableName", "verify_live"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	job := make(chan error, 1)
	go func() {
		p, s := beam.NewPipelineWithRoot()
		pipeline.Build(s, plan)
		job <- ptest.Run(p)
	}()
	stop := make(chan struct{})
	updates := make(chan int, 1)
	go func() {
		n := 0
		defer func() { updates <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			id := int64(n%20 + 1)
			if _, err := e.client.Apply(ctx, []*spanner.Mutation{spanner.Update("Items", []string{"Id", "Name"}, []any{id, fmt.Sprintf("v%d", n)})}); err == nil {
				n++
			}
		}
	}()
	time.Sleep(8 * time.Second)
	r, ms := e.verifyRun(t, pipeline.Env{VerifyRecheckWait: 40 * time.Second}, "spannerMetadataTableName", "verify_live")
	close(stop)
	n := <-updates
	if r.Mismatches != 0 || len(ms) != 0 {
		t.Errorf("verify while replicating reported mismatches: %v %v", r.Lines, ms)
	}
	if n < 20 {
		t.Errorf("only %d updates were written while verifying; the test needs changes in flight", n)
	}
	t.Logf("%d updates during the verification; summary %v", n, r.Lines)
	if err := <-job; err != nil {
		t.Fatalf("regular job: %v", err)
	}
}
