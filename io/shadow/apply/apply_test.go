package apply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// The tests run the protocol against the real pieces: shadow tables in the
// Spanner emulator and the rows in MariaDB.

var itemsSpanner = schema.Spanner{Dialect: "GOOGLE_STANDARD_SQL", Tables: map[string]schema.SpannerTable{
	"Items": {Name: "Items", Columns: []schema.SpannerColumn{
		{Name: "Id", Type: "INT64"}, {Name: "Name", Type: "STRING(MAX)"}, {Name: "ParentId", Type: "INT64"},
	}, PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
	"Parents": {Name: "Parents", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}},
		PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
}}

var itemsMySQL = []string{
	"CREATE TABLE Parents (Id BIGINT PRIMARY KEY)",
	"CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(10), ParentId BIGINT, " +
		"FOREIGN KEY (ParentId) REFERENCES Parents(Id))",
}

// mysqlShard is the shard of the test database of dsn (testenv.MySQL).
func mysqlShard(t *testing.T, dsn string) target.Shard {
	t.Helper()
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	return target.Shard{Host: host, Port: target.Port(port), User: cfg.User, Password: cfg.Passwd, DBName: cfg.DBName}
}

// writerPool is a pool of the writer's connections (mysql.Acquire: the
// template's own, which sends START TRANSACTION with the first statement)
// to the database of dsn.
func writerPool(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, release, err := mysql.Acquire(mysqlShard(t, dsn), 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return db
}

type fixture struct {
	db      *sql.DB
	dsn     string // db's DSN, for a second pool
	applier *Applier
	meta    *spanner.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	emu := testenv.Spanner(t)
	admin, dsn := testenv.MySQL(t)
	for _, st := range itemsMySQL {
		if _, err := admin.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	db := writerPool(t, dsn)
	id := fmt.Sprintf("sink%d", time.Now().UnixNano()%1e12)
	path := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE shadow_Items (Id INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (Id)",
		"CREATE TABLE shadow_Parents (Id INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (Id)",
	})
	meta, err := spanner.NewClient(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	return &fixture{db: db, dsn: dsn, meta: meta, applier: &Applier{
		Meta: meta, ShadowPrefix: "shadow_", Spanner: itemsSpanner,
		Mapper: mapping.Mapper{Spanner: itemsSpanner, Source: itemsSource, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{},
	}}
}

var itemsSource = schema.Source{Tables: map[string]schema.SourceTable{
	"Items": {Name: "Items", Columns: []schema.SourceColumn{
		{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "Name", DataType: "varchar", ColumnType: "varchar(10)", MaxLength: 10},
		{Name: "ParentId", DataType: "bigint", ColumnType: "bigint(20)"},
	}, PrimaryKey: []string{"Id"}},
	"Parents": {Name: "Parents", Columns: []schema.SourceColumn{{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"}},
		PrimaryKey: []string{"Id"}},
}}

// rec builds an Items change: version (sec, seq); name "" means DELETE.
func rec(id int64, sec int64, seq int, name string) record.Record {
	r := record.Record{
		CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000 + sec},
		RecordSequence:  fmt.Sprintf("%08d", seq),
		TableName:       "Items",
		Mod:             record.ModJSON{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, id), OldValuesJSON: "{}", NewValuesJSON: "{}"},
		ModType:         record.ModUpdate,
	}
	if name == "" {
		r.ModType = record.ModDelete
	} else {
		r.Mod.NewValuesJSON = fmt.Sprintf(`{"Name":%q,"ParentId":null}`, name)
	}
	return r
}

func (f *fixture) rows(t *testing.T) map[int64]string {
	t.Helper()
	return readNames(t, f.db, "SELECT Id, Name FROM Items")
}

func (f *fixture) shadowSec(t *testing.T, id int64) int64 {
	t.Helper()
	row, err := f.meta.Single().ReadRow(context.Background(), "shadow_Items", spanner.Key{id}, []string{"processed_commit_ts"})
	if err != nil {
		t.Fatalf("shadow row %d: %v", id, err)
	}
	var ts time.Time
	if err := row.Column(0, &ts); err != nil {
		t.Fatal(err)
	}
	return ts.Unix() - 1_700_000_000
}

func TestOutOfOrderAndDuplicatesEndWithNewest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var history []record.Record
	want := map[int64]string{}
	for id := int64(1); id <= 6; id++ {
		for v := 1; v <= 4; v++ {
			name := fmt.Sprintf("k%d-v%d", id, v)
			if id == 6 && v == 4 {
				name = "" // the last change of key 6 deletes it
			}
			history = append(history, rec(id, int64(v), 0, name))
		}
		// Same timestamp, higher record sequence: the sequence decides.
		history = append(history, rec(id, 4, 1, fmt.Sprintf("k%d-seq1", id)))
		want[id] = fmt.Sprintf("k%d-seq1", id)
	}
	history = append(history, history[:10]...) // duplicate deliveries
	rng := rand.New(rand.NewSource(7))
	rng.Shuffle(len(history), func(i, j int) { history[i], history[j] = history[j], history[i] })
	for len(history) > 0 {
		n := min(len(history), 1+rng.Intn(7))
		out, err := f.applier.ApplyIsolating(ctx, f.db, history[:n])
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failed) > 0 {
			t.Fatalf("unexpected failures: %v", out.Failed[0].Err)
		}
		history = history[n:]
	}
	if got := f.rows(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MySQL = %v, want %v", got, want)
	}
}

func TestConcurrentWritersNeverLetOlderWin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Two writers (as two pipelines or two bundles would) apply the same
	// keys' versions in opposite orders at the same time.
	var versions []record.Record
	for v := 1; v <= 20; v++ {
		versions = append(versions, rec(1, int64(v), 0, fmt.Sprintf("v%d", v)), rec(2, int64(v), 0, fmt.Sprintf("v%d", v)))
	}
	reversed := make([]record.Record, len(versions))
	for i, r := range versions {
		reversed[len(versions)-1-i] = r
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, seq := range [][]record.Record{versions, reversed} {
		wg.Add(1)
		go func(seq []record.Record) {
			defer wg.Done()
			for i := 0; i < len(seq); i += 2 {
				for {
					out, err := f.applier.ApplyIsolating(ctx, f.db, seq[i:i+2])
					if err == nil && len(out.Failed) > 0 {
						// A conflict is no record's fault: it must not
						// send a record to the DLQ.
						errs <- fmt.Errorf("record failed: %w", out.Failed[0].Err)
						return
					}
					if err == nil {
						break
					}
					if failure.Of(err) == failure.Severe {
						errs <- err
						return
					}
					// A conflict with the other writer: retry, as the runner would.
				}
			}
		}(seq)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := f.rows(t); got[1] != "v20" || got[2] != "v20" {
		t.Errorf("MySQL = %v, want both keys at v20", got)
	}
}

func TestCrashBetweenMySQLCommitAndSpannerCommitConverges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	crash := errors.New("injected crash")
	f.applier.Hooks.AfterMySQLCommit = func() error { return crash }
	if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")}); !errors.Is(err, crash) {
		t.Fatalf("Apply = %v, want the injected crash", err)
	}
	// MySQL is ahead of the shadow table now.
	if got := f.rows(t)[1]; got != "new" {
		t.Fatalf("after the crash MySQL has %q, want the committed %q", got, "new")
	}
	if _, err := f.meta.Single().ReadRow(ctx, "shadow_Items", spanner.Key{int64(1)}, []string{"Id"}); spanner.ErrCode(err) != 5 {
		t.Fatalf("shadow row exists after the crash (err %v); the Spanner commit should not have happened", err)
	}
	// The retry re-applies (idempotently) and records the version; an older
	// change delivered afterwards is then refused.
	f.applier.Hooks.AfterMySQLCommit = nil
	out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")})
	if err != nil || len(out.Applied) != 1 {
		t.Fatalf("retry: applied %d, err %v", len(out.Applied), err)
	}
	if sec := f.shadowSec(t, 1); sec != 5 {
		t.Errorf("shadow version %d, want 5", sec)
	}
	out, err = f.applier.Apply(ctx, f.db, []record.Record{rec(1, 4, 0, "older")})
	if err != nil || out.Stale != 1 || f.rows(t)[1] != "new" {
		t.Errorf("older change: stale %d, err %v, MySQL %q", out.Stale, err, f.rows(t)[1])
	}
}

func TestCrashBetweenShadowReadAndMySQLWriteConverges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	crash := errors.New("injected crash")
	f.applier.Hooks.AfterShadowRead = func() error { return crash }
	if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")}); !errors.Is(err, crash) {
		t.Fatalf("Apply = %v, want the injected crash", err)
	}
	if got := f.rows(t); len(got) != 0 {
		t.Fatalf("MySQL changed before the crash point: %v", got)
	}
	f.applier.Hooks.AfterShadowRead = nil
	if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")}); err != nil {
		t.Fatal(err)
	}
	if got := f.rows(t)[1]; got != "new" || f.shadowSec(t, 1) != 5 {
		t.Errorf("after retry MySQL %q shadow %d, want new/5", got, f.shadowSec(t, 1))
	}
}

func TestBadRecordIsIsolatedAndTheRestApplied(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The server's column is narrower than the schema the writer knows, so
	// that MySQL itself refuses key 5's value (1406, data too long).
	if _, err := f.db.Exec("ALTER TABLE Items MODIFY Name VARCHAR(8)"); err != nil {
		t.Fatal(err)
	}
	batch := []record.Record{rec(1, 1, 0, "ok-1"), rec(2, 1, 0, "ok-2"), rec(3, 1, 0, "ok-3"), rec(4, 1, 0, "ok-4"), rec(5, 1, 0, "9 letters")}
	// Key 3's name does not fit VARCHAR(10) (refused before MySQL is asked);
	// key 2 references a parent that does not exist yet (MySQL refuses it).
	batch[2].Mod.NewValuesJSON = `{"Name":"this name is far too long","ParentId":null}`
	batch[1].Mod.NewValuesJSON = `{"Name":"child","ParentId":"42"}`
	// A custom transformation that passes rows through counts how often
	// each record is prepared: once, however often the batch is split.
	tr := &fakeTransform{}
	f.applier.Transform = tr
	out, err := f.applier.ApplyIsolating(ctx, f.db, batch)
	if err != nil {
		t.Fatal(err)
	}
	f.applier.Transform = nil
	if len(tr.calls) != len(batch) {
		t.Errorf("the transformation ran %d times for %d records: a split batch was prepared again", len(tr.calls), len(batch))
	}
	if len(out.Applied) != 2 {
		t.Errorf("applied %d records, want 2 (keys 1 and 4)", len(out.Applied))
	}
	got := f.rows(t)
	if got[1] != "ok-1" || got[4] != "ok-4" || len(got) != 2 {
		t.Errorf("MySQL = %v, want keys 1 and 4 only", got)
	}
	classes := map[string]failure.Class{}
	for _, fl := range out.Failed {
		classes[fl.Record.Mod.KeysJSON] = failure.Of(fl.Err)
		t.Logf("failed %s: %v", fl.Record.Mod.KeysJSON, fl.Err)
	}
	if c, ok := classes[`{"Id":"3"}`]; !ok || c != failure.Severe {
		t.Errorf("too-long value: class %v (present %v), want severe", c, ok)
	}
	// A driver error that escaped the MySQL calls unclassified would be
	// retryable here.
	if c, ok := classes[`{"Id":"5"}`]; !ok || c != failure.Severe {
		t.Errorf("value MySQL finds too long: class %v (present %v), want severe", c, ok)
	}
	if c, ok := classes[`{"Id":"2"}`]; !ok || c != failure.Retryable {
		t.Errorf("missing FK parent: class %v (present %v), want retryable", c, ok)
	}
	for _, fl := range out.Failed {
		if strings.Contains(fl.Record.Mod.KeysJSON, `"2"`) && !strings.Contains(fl.Err.Error(), "foreign key") {
			t.Errorf("FK failure message does not carry MySQL's error: %v", fl.Err)
		}
	}
	// Once the parent exists, the retried child applies.
	if _, err := f.db.Exec("INSERT INTO Parents VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	out, err = f.applier.ApplyIsolating(ctx, f.db, []record.Record{batch[1]})
	if err != nil || len(out.Applied) != 1 {
		t.Errorf("retry of the child: applied %d, err %v", len(out.Applied), err)
	}
}
