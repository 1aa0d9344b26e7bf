package apply

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// The source-side protocol (source.go) against MariaDB and PostgreSQL:
// the shadow rows and the data rows in the same database, no Spanner.

// srcFixture is one target database with the Items tables and their
// shadow tables, created as the launch does.
type srcFixture struct {
	kind    string
	admin   *sql.DB // the test's own pool
	db      *sql.DB // the writer's pool (Target.Acquire)
	dbName  string
	shard   target.Shard
	applier *Applier
	quote   func(string) string
	ph      func(int) string
	hashArg func([]byte) any
}

var srcKinds = []string{"mariadb", "postgresql"}

func newSrcFixture(t *testing.T, kind string) *srcFixture {
	t.Helper()
	ctx := context.Background()
	f := &srcFixture{kind: kind}
	var shard target.Shard
	var tgt target.Target
	var ddl []string
	switch kind {
	case "mariadb":
		admin, dsn := testenv.MySQL(t)
		shard = mysqlShard(t, dsn)
		f.admin, f.dbName, tgt, ddl = admin, shard.DBName, mysql.Target{}, itemsMySQL
		f.quote = func(s string) string { return "`" + s + "`" }
		f.ph = func(int) string { return "?" }
		f.hashArg = func(h []byte) any { return h }
	case "postgresql":
		d := testenv.PostgreSQL(t)
		shard = target.Shard{Host: d.Host, Port: target.Port(d.Port), User: d.User, Password: d.Password, DBName: d.Name,
			ConnectionProperties: "sslmode=disable"}
		f.admin, f.dbName, tgt = d.DB, d.Name, postgresql.Target{}
		ddl = []string{
			`CREATE TABLE "Parents" ("Id" bigint PRIMARY KEY)`,
			`CREATE TABLE "Items" ("Id" bigint PRIMARY KEY, "Name" varchar(10), "ParentId" bigint REFERENCES "Parents"("Id"))`,
		}
		f.quote = func(s string) string { return `"` + s + `"` }
		f.ph = func(i int) string { return fmt.Sprintf("$%d", i) }
		f.hashArg = func(h []byte) any { return `\x` + hex.EncodeToString(h) }
	}
	for _, st := range ddl {
		if _, err := f.admin.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	src, err := tgt.ReadSchema(ctx, shard)
	if err != nil {
		t.Fatal(err)
	}
	var tables []target.ShadowTable
	for _, n := range []string{"Items", "Parents"} {
		tables = append(tables, target.ShadowTable{Name: shadow.TableName("shadow_", n), KeyColumns: []string{"Id"}})
	}
	created, err := tgt.EnsureShadowTables(ctx, shard, tables)
	if err != nil || len(created) != 2 {
		t.Fatalf("EnsureShadowTables: created %v, err %v", created, err)
	}
	if again, err := tgt.EnsureShadowTables(ctx, shard, tables); err != nil || len(again) != 0 {
		t.Fatalf("a second EnsureShadowTables must reuse the tables: created %v, err %v", again, err)
	}
	db, release, err := tgt.Acquire(shard, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	f.db, f.shard = db, shard
	f.applier = &Applier{
		ShadowPrefix: "shadow_", Spanner: itemsSpanner, InSource: true, Target: tgt,
		Mapper: mapping.Mapper{Spanner: itemsSpanner, Source: src, TZ: time.UTC, Values: tgt.Values()},
	}
	return f
}

func (f *srcFixture) rows(t *testing.T) map[int64]string {
	t.Helper()
	return readNames(t, f.admin, fmt.Sprintf("SELECT %s, %s FROM %s", f.quote("Id"), f.quote("Name"), f.quote("Items")))
}

// shadowSec is the version second of key id in the shard's shadow table,
// -1 when the key has no version (no row, or a placeholder).
func (f *srcFixture) shadowSec(t *testing.T, id int64) int64 {
	t.Helper()
	k, err := shadow.SourceKey(spanner.Key{id})
	if err != nil {
		t.Fatal(err)
	}
	var ts sql.NullInt64
	err = f.admin.QueryRow(fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s", f.quote(target.ShadowCommitTsColumn),
		f.quote("shadow_Items"), f.quote(target.ShadowKeyColumn), f.ph(1)), f.hashArg(k.ID)).Scan(&ts)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !ts.Valid) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return ts.Int64/1e9 - 1_700_000_000
}

func TestSourceOutOfOrderAndDuplicatesEndWithNewest(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
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
			stale := 0
			for len(history) > 0 {
				n := min(len(history), 1+rng.Intn(7))
				out, err := f.applier.ApplyIsolating(ctx, f.db, history[:n])
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Failed) > 0 {
					t.Fatalf("unexpected failures: %v", out.Failed[0].Err)
				}
				stale += out.Stale
				history = history[n:]
			}
			if got := f.rows(t); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s = %v, want %v", kind, got, want)
			}
			if stale == 0 {
				t.Error("no change was found stale: the shadow rows were not consulted")
			}
			for id := int64(1); id <= 6; id++ {
				if sec := f.shadowSec(t, id); sec != 4 {
					t.Errorf("shadow version of key %d: %d, want 4", id, sec)
				}
			}
		})
	}
}

// TestSourceConcurrentWritersNeverLetOlderWin: four writers apply every
// version of the same keys, which do not exist yet (so they race on
// inserting the shadow rows too), in different orders at once.
func TestSourceConcurrentWritersNeverLetOlderWin(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			ctx := context.Background()
			// Holding the locks a little longer after the read widens the
			// window in which a writer without them would interleave.
			var mu sync.Mutex
			jitter := rand.New(rand.NewSource(1))
			f.applier.Hooks.AfterShadowRead = func() error {
				mu.Lock()
				d := time.Duration(jitter.Intn(3000)) * time.Microsecond
				mu.Unlock()
				time.Sleep(d)
				return nil
			}
			// Each writer has its own versions of the two keys (v ≡ w mod
			// 4), shuffled: a writer that decided against a version another
			// writer has since replaced would write an older one last.
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for w := 0; w < 4; w++ {
				var seq []record.Record
				for v := 1; v <= 40; v++ {
					if v%4 == w {
						seq = append(seq, rec(1, int64(v), 0, fmt.Sprintf("v%d", v)), rec(2, int64(v), 0, fmt.Sprintf("v%d", v)))
					}
				}
				rng := rand.New(rand.NewSource(int64(w)))
				for i := len(seq)/2 - 1; i > 0; i-- { // shuffle the pairs
					j := rng.Intn(i + 1)
					seq[2*i], seq[2*j] = seq[2*j], seq[2*i]
					seq[2*i+1], seq[2*j+1] = seq[2*j+1], seq[2*i+1]
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < len(seq); i += 2 {
						for {
							out, err := f.applier.ApplyIsolating(ctx, f.db, seq[i:i+2])
							if err == nil && len(out.Failed) > 0 {
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
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := f.rows(t); got[1] != "v40" || got[2] != "v40" {
				t.Errorf("%s = %v, want both keys at v40", kind, got)
			}
			if f.shadowSec(t, 1) != 40 || f.shadowSec(t, 2) != 40 {
				t.Errorf("shadow versions %d, %d, want 40", f.shadowSec(t, 1), f.shadowSec(t, 2))
			}
		})
	}
}

// TestSourceCrashBeforeCommitLeavesNothing: a crash after the shadow read,
// or after everything was written but before the commit, leaves neither
// the change nor its version; the retry applies both.
func TestSourceCrashBeforeCommitLeavesNothing(t *testing.T) {
	crash := errors.New("injected crash")
	for _, kind := range srcKinds {
		for _, point := range []string{"after shadow read", "before commit", "connection killed before commit"} {
			t.Run(kind+"/"+point, func(t *testing.T) {
				f := newSrcFixture(t, kind)
				ctx := context.Background()
				hit := false
				switch point {
				case "after shadow read":
					f.applier.Hooks.AfterShadowRead = func() error { hit = true; return crash }
				case "before commit":
					f.applier.Hooks.BeforeSourceCommit = func() error { hit = true; return crash }
				case "connection killed before commit":
					// The server ends the writer's connection: the commit
					// that follows finds it gone.
					f.applier.Hooks.BeforeSourceCommit = func() error { hit = f.killWriters(t) > 0; return nil }
				}
				_, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")})
				if err == nil || !hit {
					t.Fatalf("Apply = %v (crash hit: %v), want a failed batch", err, hit)
				}
				if got := f.rows(t); len(got) != 0 {
					t.Fatalf("the data changed although the transaction did not commit: %v", got)
				}
				if sec := f.shadowSec(t, 1); sec != -1 {
					t.Fatalf("shadow version %d after the crash, want none", sec)
				}
				f.applier.Hooks = Hooks{}
				out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")})
				if err != nil || len(out.Applied) != 1 {
					t.Fatalf("retry: applied %d, err %v", len(out.Applied), err)
				}
				if got := f.rows(t)[1]; got != "new" || f.shadowSec(t, 1) != 5 {
					t.Errorf("after retry %q with shadow %d, want new/5", got, f.shadowSec(t, 1))
				}
			})
		}
	}
}

// killWriters ends every other connection to the test database from the
// server side, as a crash of the worker would; it returns how many.
func (f *srcFixture) killWriters(t *testing.T) int {
	t.Helper()
	var q, kill string
	switch f.kind {
	case "mariadb":
		q = "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()"
		kill = "KILL ?"
	default:
		q = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
		kill = "SELECT pg_terminate_backend($1)"
	}
	rows, err := f.admin.Query(q, f.dbName)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := f.admin.Exec(kill, id); err != nil {
			t.Fatal(err)
		}
	}
	return len(ids)
}

// TestSourceCrashAfterCommitConverges: the commit landed but the worker
// failed before recording the outcome; the retry finds the record stale.
func TestSourceCrashAfterCommitConverges(t *testing.T) {
	crash := errors.New("injected crash")
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			ctx := context.Background()
			f.applier.Hooks.AfterMySQLCommit = func() error { return crash }
			if _, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new")}); !errors.Is(err, crash) {
				t.Fatalf("Apply = %v, want the injected crash", err)
			}
			if got := f.rows(t)[1]; got != "new" || f.shadowSec(t, 1) != 5 {
				t.Fatalf("after the commit %q with shadow %d, want both: they commit together", got, f.shadowSec(t, 1))
			}
			f.applier.Hooks = Hooks{}
			out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "new"), rec(1, 4, 0, "older")})
			if err != nil || out.Stale != 2 || len(out.Applied) != 0 || f.rows(t)[1] != "new" {
				t.Errorf("retry: stale %d, applied %d, err %v, row %q", out.Stale, len(out.Applied), err, f.rows(t)[1])
			}
		})
	}
}

func TestSourceBadRecordIsIsolatedAndTheRestApplied(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			ctx := context.Background()
			// The server's column is narrower than the schema the writer
			// knows, so that the target itself refuses key 5's value.
			alter := "ALTER TABLE Items MODIFY Name VARCHAR(8)"
			if kind == "postgresql" {
				alter = `ALTER TABLE "Items" ALTER COLUMN "Name" TYPE varchar(8)`
			}
			if _, err := f.admin.Exec(alter); err != nil {
				t.Fatal(err)
			}
			batch := []record.Record{rec(1, 1, 0, "ok-1"), rec(2, 1, 0, "ok-2"), rec(3, 1, 0, "ok-3"), rec(4, 1, 0, "ok-4"), rec(5, 1, 0, "9 letters")}
			batch[2].Mod.NewValuesJSON = `{"Name":"this name is far too long","ParentId":null}`
			batch[1].Mod.NewValuesJSON = `{"Name":"child","ParentId":"42"}`
			out, err := f.applier.ApplyIsolating(ctx, f.db, batch)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.rows(t); got[1] != "ok-1" || got[4] != "ok-4" || len(got) != 2 {
				t.Errorf("%s = %v, want keys 1 and 4 only", kind, got)
			}
			classes := map[string]failure.Class{}
			for _, fl := range out.Failed {
				classes[fl.Record.Mod.KeysJSON] = failure.Of(fl.Err)
			}
			for key, want := range map[string]failure.Class{`{"Id":"3"}`: failure.Severe, `{"Id":"5"}`: failure.Severe, `{"Id":"2"}`: failure.Retryable} {
				if c, ok := classes[key]; !ok || c != want {
					t.Errorf("%s: class %v (failed: %v), want %v", key, c, ok, want)
				}
			}
			for id, want := range map[int64]int64{1: 1, 4: 1, 2: -1, 5: -1} {
				if sec := f.shadowSec(t, id); sec != want {
					t.Errorf("shadow version of key %d: %d, want %d", id, sec, want)
				}
			}
			if _, err := f.admin.Exec(fmt.Sprintf("INSERT INTO %s VALUES (42)", f.quote("Parents"))); err != nil {
				t.Fatal(err)
			}
			out, err = f.applier.ApplyIsolating(ctx, f.db, []record.Record{batch[1]})
			if err != nil || len(out.Applied) != 1 {
				t.Errorf("retry of the child: applied %d, err %v", len(out.Applied), err)
			}
		})
	}
}

// TestSourceShadowTableClash: a table of the shadow's name that is not a
// shadow table is refused at launch, naming it.
func TestSourceShadowTableClash(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			if _, err := f.admin.Exec(fmt.Sprintf("CREATE TABLE %s (%s INT)", f.quote("shadow_Other"), f.quote("x"))); err != nil {
				t.Fatal(err)
			}
			_, err := f.applier.Target.EnsureShadowTables(context.Background(), f.shard,
				[]target.ShadowTable{{Name: "shadow_Other", KeyColumns: []string{"Id"}}})
			if err == nil || !strings.Contains(err.Error(), "shadow_Other") || !strings.Contains(err.Error(), "not a shadow table") {
				t.Errorf("EnsureShadowTables over an unrelated table: %v", err)
			}
		})
	}
}
