package faults

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// inputStream is the change stream of every inputEnv database.
const inputStream = "inputs"

// inputEnv is one test's world: a Spanner database whose NEW_ROW change
// stream watches every table, an empty metadata database, and a MariaDB
// database with the same tables as the only shard.
type inputEnv struct {
	emu       *localenv.Emulator
	mysql     *sql.DB
	dsn       string
	client    *spanner.Client
	meta      *spanner.Client
	db        string // Spanner database id; the metadata database is db+"m"
	shardFile string
	dlqDir    string
	// pg is the shard when it is PostgreSQL (newPGInputEnv); mysql is
	// nil then.
	pg *testenv.PGDatabase
}

func newInputEnv(t *testing.T, prefix string, spannerDDL, mysqlDDL []string) *inputEnv {
	t.Helper()
	e := &inputEnv{emu: testenv.Spanner(t), dlqDir: filepath.Join(t.TempDir(), "dlq")}
	e.mysql, e.dsn = testenv.MySQL(t)
	for _, st := range mysqlDDL {
		if _, err := e.mysql.Exec(st); err != nil {
			t.Fatalf("%.80s: %v", st, err)
		}
	}
	e.shardFile = testenv.ShardFile(t, e.mysql, e.dsn)
	e.createSpanner(t, prefix, spannerDDL)
	return e
}

// shardExec runs statements on the test's shard, whatever its kind, as
// the admin.
func (e *inputEnv) shardExec(t *testing.T, stmts ...string) {
	t.Helper()
	if e.pg != nil {
		e.pgExec(t, stmts...)
		return
	}
	for _, st := range stmts {
		if _, err := e.mysql.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// createSpanner makes the test's Spanner database, with a change stream
// on every table, and its metadata database.
func (e *inputEnv) createSpanner(t *testing.T, prefix string, spannerDDL []string) {
	t.Helper()
	e.db = fmt.Sprintf("%s%d", prefix, time.Now().UnixNano()%1e9)
	ddl := append(append([]string{}, spannerDDL...),
		"CREATE CHANGE STREAM "+inputStream+" FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')")
	path := testenv.CreateDatabase(t, e.emu, e.db, false, ddl)
	metaPath := testenv.CreateDatabase(t, e.emu, e.db+"m", false, nil)
	ctx := context.Background()
	var err error
	if e.client, err = spanner.NewClient(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.client.Close)
	if e.meta, err = spanner.NewClient(ctx, metaPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.meta.Close)
}

// values are the parameters of a regular run over [start, start+d].
func (e *inputEnv) values(start time.Time, d time.Duration) params.Values {
	v := params.Values{
		"changeStreamName": inputStream, "instanceId": e.emu.Instance, "databaseId": e.db,
		"spannerProjectId": e.emu.Project, "metadataInstance": e.emu.Instance, "metadataDatabase": e.db + "m",
		"sourceShardsFilePath": e.shardFile, "deadLetterQueueDirectory": e.dlqDir,
		"startTimestamp": start.UTC().Format(time.RFC3339Nano),
		"endTimestamp":   start.Add(d).UTC().Format(time.RFC3339Nano),
	}
	if e.pg != nil {
		v["sourceType"] = "postgresql"
	}
	return v
}

// inputPolls make a run of a few seconds see every change and poll retry/
// several times.
func inputPolls(retry time.Duration) pipeline.Env {
	return pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: retry}
}

func (e *inputEnv) prepare(t *testing.T, v params.Values, env pipeline.Env) *pipeline.Prepared {
	t.Helper()
	cfg, err := params.Parse(v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plan, err := pipeline.Prepare(ctx, cfg, env)
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	return plan
}

// launchError launches with v and returns why the launch refused, failing
// t when it did not.
func (e *inputEnv) launchError(t *testing.T, v params.Values) error {
	t.Helper()
	cfg, err := params.Parse(v, time.Now())
	if err != nil {
		t.Fatalf("params: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := pipeline.Prepare(ctx, cfg, pipeline.Env{}); err != nil {
		return err
	}
	t.Fatal("the launch succeeded")
	return nil
}

// compareAll compares every table over the only shard and fails t for each
// difference that no DLQ line with an error accounts for. It returns the
// differences, explained ones included, for the caller's own checks.
func (e *inputEnv) compareAll(t *testing.T, tables ...localenv.Table) []localenv.Mismatch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	shards := []localenv.Shard{{DB: e.mysql}}
	if e.pg != nil {
		shards = []localenv.Shard{{DB: e.pg.DB, PostgreSQL: true}}
	}
	var all []localenv.Mismatch
	for _, tb := range tables {
		rows, ms, err := localenv.CompareTable(ctx, e.client, shards, tb)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d Spanner rows, %d mismatches", tb.Name, rows, len(ms))
		all = append(all, ms...)
	}
	lines, err := localenv.ReadDLQ(e.dlqDir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range localenv.Unexplained(all, lines) {
		t.Errorf("unexplained mismatch: %s", m)
	}
	return all
}

// dlqLines reads every line under the DLQ's sub folder.
func (e *inputEnv) dlqLines(t *testing.T, sub string) []dlq.Line {
	t.Helper()
	lines, err := localenv.ReadDLQ(e.dlqDir, sub)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// inputMismatchKey renders a mismatch of a single-column INT64 key the way the
// change stream writes keysJson, so that it can be compared with DLQ lines.
func inputMismatchKey(m localenv.Mismatch) string {
	b, _ := json.Marshal(m.Key)
	return m.Table + " " + string(b)
}

func inputSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// metadataTables lists the tables of the metadata database: a launch that
// refuses must leave it empty, with neither shadow tables nor the change
// stream reader's partition state, so the next launch starts afresh.
func (e *inputEnv) metadataTables(t *testing.T) []string {
	t.Helper()
	var out []string
	it := e.meta.Single().Query(context.Background(), spanner.Statement{
		SQL: "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = '' ORDER BY TABLE_NAME"})
	err := it.Do(func(r *spanner.Row) error {
		var n string
		if err := r.Columns(&n); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeInputFile writes a file in t's temp dir and returns its path.
func writeInputFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// shardJSON is one shard of the test database in a shard file, with the
// test account.
func (e *inputEnv) shardJSON(t *testing.T, id string) map[string]string {
	t.Helper()
	cfg, err := mysql.ParseDSN(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"logicalShardId": id, "host": host, "port": port,
		"user": testenv.ShardUser, "password": testenv.ShardPassword, "dbName": cfg.DBName}
}

// inputWatcher records every line that appears under a DLQ folder while a
// pipeline runs: a retry/ file lives only until the next poll consumes it,
// so looking afterwards cannot tell whether a record went through retry/.
type inputWatcher struct {
	root, sub string
	mu        sync.Mutex
	seen      map[string][]string // "table keysJson" -> error messages, oldest first
	files     map[string]bool
	stop      chan struct{}
	done      chan struct{}
	stopOnce  sync.Once
}

func inputWatch(root, sub string) *inputWatcher {
	w := &inputWatcher{root: root, sub: sub, seen: map[string][]string{}, files: map[string]bool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			w.scan()
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *inputWatcher) scan() {
	// Files come and go under our feet: whatever cannot be read now was
	// either consumed already or is seen at the next scan.
	_ = filepath.WalkDir(filepath.Join(w.root, w.sub), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		w.mu.Lock()
		known := w.files[p]
		w.mu.Unlock()
		if known {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.files[p] = true
		for _, line := range bytes.Split(data, []byte("\n")) {
			var l dlq.Line
			if len(bytes.TrimSpace(line)) == 0 || json.Unmarshal(line, &l) != nil {
				continue
			}
			k := l.Message.TableName + " " + l.Message.Mod.KeysJSON
			w.seen[k] = append(w.seen[k], l.ErrorMessage)
		}
		return nil
	})
}

// errors returns the error messages seen for a key so far.
func (w *inputWatcher) errors(table, keysJSON string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen[table+" "+keysJSON]...)
}

// waitFor waits until a line for the key shows up, or until deadline.
func (w *inputWatcher) waitFor(table, keysJSON string, deadline time.Time) error {
	for {
		if len(w.errors(table, keysJSON)) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no line for %s %s appeared in %s/", table, keysJSON, w.sub)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *inputWatcher) close() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}
