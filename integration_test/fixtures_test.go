package integration_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin/plugintest"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerschema"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// javaITs is where the schemas of the Java template's integration tests
// are, under the shared fixtures (testenv.SharedFixtures).
const javaITs = "java-template-its"

// fixtureRun is one replication (its own Spanner and MySQL databases and
// parameters) of TestFixtureSchemasReplicate. All runs share one Beam
// pipeline, so the emulator's fixed change-stream window is paid once.
type fixtureRun struct {
	name    string
	pg      bool
	spanner []string // DDL
	mysql   []string // DDL
	// postgresql, when set, is the DDL of a PostgreSQL shard, which
	// replaces the MySQL one (sourceType=postgresql).
	postgresql []string
	params     params.Values
	write      func(ctx context.Context, t *testing.T, f *fixtureRun) error
	check      func(t *testing.T, f *fixtureRun)

	client *spanner.Client
	db     *sql.DB
	sp     schema.Spanner
	dlqDir string
	metaDB string
	plan   *pipeline.Prepared
}

// TestFixtureSchemasReplicate replicates the repository's own test
// schemas (testdata/), five replications in one pipeline run:
//
//   - google: data types, reserved words, a time zone (+09:00) and
//     generated columns without a session file (GoogleSQL);
//   - pg: the data types in a PostgreSQL-dialect database;
//   - overrides: a schema overrides file, with the example WebAssembly
//     transformation (rewrite, filter, failure);
//   - session: a sharded migration's session file (renamed interleaved key
//     column, Spanner-only migration_shard_id) on one shard;
//   - strings: column overrides given as a parameter, a source-only key
//     column and a check constraint.
func TestFixtureSchemasReplicate(t *testing.T) {
	replicateFixtures(t, func(module string) []*fixtureRun {
		return []*fixtureRun{ownGoogleRun(t), ownPGRun(t), ownOverridesRun(t, module), ownSessionRun(t), ownStringOverridesRun(t)}
	})
}

// TestFixtureJavaTemplateSchemas is the acceptance suite: the same five
// replications on the schemas of the Java template's integration tests
// (data types, reserved keywords, time zone, generated columns, overrides,
// a sharded session, the retry-DLQ schema), read from the shared fixtures
// outside the repository. Without them it skips, or fails in CI.
func TestFixtureJavaTemplateSchemas(t *testing.T) {
	its := testenv.SharedFixtures(t, javaITs)
	replicateFixtures(t, func(module string) []*fixtureRun {
		return []*fixtureRun{googleRun(t, its), pgRun(t, its), overridesRun(t, its, module), sessionRun(t, its), stringOverridesRun(t, its)}
	})
}

// replicateFixtures sets up every run (databases, parameters), writes
// their changes while one pipeline replicates them all, then checks each.
func replicateFixtures(t *testing.T, makeRuns func(module string) []*fixtureRun) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	module := filepath.Join(t.TempDir(), "transform_example.wasm")
	if err := os.WriteFile(module, plugintest.Build(t, "../io/plugin/examples/transform"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := makeRuns(module)

	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	for i, f := range runs {
		setUpRun(ctx, t, emu, f, fmt.Sprintf("fx%d_%s", i, suffix))
	}
	// Everything committed after start is replicated; the window bounds
	// the run (the emulator's change stream only ends at endTimestamp).
	start := time.Now().UTC()
	end := start.Add(25 * time.Second)
	for _, f := range runs {
		f.params["startTimestamp"] = start.Format(time.RFC3339Nano)
		f.params["endTimestamp"] = end.Format(time.RFC3339Nano)
		cfg, err := params.Parse(f.params, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		// Retries are polled every 3 s so that changes failing on a
		// missing parent row are applied within the window.
		f.plan, err = pipeline.Prepare(ctx, cfg, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: 3 * time.Second})
		if err != nil {
			t.Fatalf("%s: launch: %v", f.name, err)
		}
	}
	var wg sync.WaitGroup
	werrs := make([]error, len(runs))
	for i, f := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			werrs[i] = f.write(ctx, t, f)
		}()
	}
	p, s := beam.NewPipelineWithRoot()
	for _, f := range runs {
		pipeline.Build(s.Scope(f.name), f.plan)
	}
	if err := ptest.Run(p); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	wg.Wait()
	for i, err := range werrs {
		if err != nil {
			t.Fatalf("%s: writing to Spanner: %v", runs[i].name, err)
		}
	}
	for _, f := range runs {
		t.Run(f.name, func(t *testing.T) { f.check(t, f) })
	}
}

func setUpRun(ctx context.Context, t *testing.T, emu *localenv.Emulator, f *fixtureRun, id string) {
	t.Helper()
	var shardFile string
	if f.postgresql != nil {
		d := testenv.PostgreSQL(t)
		for _, st := range f.postgresql {
			if _, err := d.DB.Exec(st); err != nil {
				t.Fatalf("%s: PostgreSQL DDL %q: %v", f.name, st, err)
			}
		}
		f.db = d.DB
		shardFile = testenv.PGShardFile(t, d)
		f.params["sourceType"] = "postgresql"
	} else {
		db, dsn := testenv.MySQL(t)
		for _, st := range f.mysql {
			if _, err := db.Exec(st); err != nil {
				t.Fatalf("%s: MySQL DDL %q: %v", f.name, st, err)
			}
		}
		f.db = db
		shardFile = testenv.ShardFile(t, db, dsn)
	}
	mainPath := testenv.CreateDatabase(t, emu, id, f.pg, f.spanner)
	f.metaDB = id + "m"
	testenv.CreateDatabase(t, emu, f.metaDB, false, nil)
	c, err := spanner.NewClient(ctx, mainPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	f.client = c
	if f.sp, err = spannerschema.Read(ctx, c); err != nil {
		t.Fatal(err)
	}
	f.dlqDir = t.TempDir()
	base := params.Values{
		"changeStreamName": "allstream", "instanceId": emu.Instance, "databaseId": id,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": f.metaDB,
		"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": f.dlqDir,
	}
	for k, v := range f.params {
		base[k] = v
	}
	f.params = base
}

// fixtureDDL reads the statements of the .sql file dir/file. Change streams
// are left out (the emulator rejects allow_txn_exclusion; each run creates
// its own NEW_ROW stream), and so is ALTER DATABASE ... default_time_zone,
// which the emulator does not support; replication does not depend on it.
func fixtureDDL(t *testing.T, dir, file string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, st := range strings.Split(stripComments(string(b)), ";") {
		st = strings.TrimSpace(st)
		upper := strings.ToUpper(st)
		if st == "" || strings.HasPrefix(upper, "CREATE CHANGE STREAM") || strings.HasPrefix(upper, "ALTER DATABASE") {
			continue
		}
		out = append(out, st)
	}
	return out
}

var sqlComment = regexp.MustCompile(`(?m)--.*$`)

var (
	storedNotNull = regexp.MustCompile(`(?i)\bSTORED\s+NOT\s+NULL`)
	primaryKeyCol = regexp.MustCompile("PRIMARY KEY \\(`(\\w+)`\\)")
	interleaveIn  = regexp.MustCompile(`(?i)INTERLEAVE\s+IN\s+(\w+)\s*$`)
)

// forMariaDB adapts MySQL DDL that MariaDB rejects: it takes no NOT NULL on
// a generated column, and no primary key on one (error 1903), so such a
// key becomes a unique key and the table has no primary key (its changes
// then go to severe, as for any source table without one).
func forMariaDB(stmts []string) []string {
	out := make([]string, len(stmts))
	for i, st := range stmts {
		st = storedNotNull.ReplaceAllString(st, "STORED")
		if m := primaryKeyCol.FindStringSubmatch(st); m != nil && regexp.MustCompile("`"+m[1]+"` [^,]*GENERATED").MatchString(st) {
			st = strings.Replace(st, m[0], "UNIQUE KEY (`"+m[1]+"`)", 1)
		}
		out[i] = st
	}
	return out
}

// forEmulator adapts Spanner DDL that the emulator rejects: it wants the
// older INTERLEAVE IN PARENT form.
func forEmulator(stmts []string) []string {
	out := make([]string, len(stmts))
	for i, st := range stmts {
		if m := interleaveIn.FindStringSubmatch(st); m != nil && !strings.EqualFold(m[1], "PARENT") {
			st = st[:len(st)-len(m[0])] + "INTERLEAVE IN PARENT " + m[1]
		}
		out[i] = st
	}
	return out
}

func stripComments(s string) string { return sqlComment.ReplaceAllString(s, "") }

func changeStream(pg bool) string {
	if pg {
		return "CREATE CHANGE STREAM allstream FOR ALL WITH (value_capture_type = 'NEW_ROW', retention_period = '7d')"
	}
	return "CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')"
}

// rows returns a query's rows as text, NULL as "NULL", columns joined by |.
func rows(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rs, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func wantRows(t *testing.T, db *sql.DB, query string, want ...string) {
	t.Helper()
	got := rows(t, db, query)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", query, got, want)
	}
}

// dlqLines reads every line filed under sub of the DLQ directory.
func dlqLines(t *testing.T, root, sub string) []dlq.Line {
	t.Helper()
	lines, err := localenv.ReadDLQ(root, sub)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// shadowKeys lists the keys (first key column, as text) of a shadow table.
func shadowKeys(t *testing.T, f *fixtureRun, table, keyCol string) []string {
	t.Helper()
	ctx := context.Background()
	meta, err := spanner.NewClient(ctx, strings.Replace(f.client.DatabaseName(), f.params["databaseId"], f.metaDB, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	var keys []string
	err = meta.Single().Read(ctx, "shadow_"+table, spanner.AllKeys(), []string{keyCol}).Do(func(r *spanner.Row) error {
		var g spanner.GenericColumnValue
		if err := r.Column(0, &g); err != nil {
			return err
		}
		keys = append(keys, g.Value.GetStringValue())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func mustTZ(offset string) *time.Location {
	ts, err := time.Parse("-07:00", offset)
	if err != nil {
		panic(err)
	}
	_, off := ts.Zone()
	return time.FixedZone(offset, off)
}
