package apply

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Speculation against writers that commit between its statements and the
// shadow read, on each kind of target and isolation level the writer may
// meet: MariaDB as configured by default (REPEATABLE READ), MariaDB at
// READ COMMITTED (a common server setting), and PostgreSQL (READ
// COMMITTED by default).

var specKinds = []string{"mariadb", "mariadb read committed", "postgresql"}

// newFixtureOn is newFixture with the rows in a target of kind; rows
// reads them back.
func newFixtureOn(t *testing.T, kind string) (f *fixture, rows func(*testing.T) map[int64]string) {
	t.Helper()
	f = newFixture(t)
	switch kind {
	case "mariadb":
	case "mariadb read committed":
		sep := "?"
		if strings.Contains(f.dsn, "?") {
			sep = "&"
		}
		db, err := sql.Open("mysql", f.dsn+sep+"tx_isolation=%27READ-COMMITTED%27")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		var level string
		if err := db.QueryRow("SELECT @@tx_isolation").Scan(&level); err != nil || level != "READ-COMMITTED" {
			t.Fatalf("the pool's isolation is %q (%v), want READ-COMMITTED", level, err)
		}
		f.db = db
	case "postgresql", "postgresql repeatable read":
		return f, onPostgreSQL(t, f, kind == "postgresql repeatable read",
			`CREATE TABLE "Parents" ("Id" bigint PRIMARY KEY)`,
			`CREATE TABLE "Items" ("Id" bigint PRIMARY KEY, "Name" varchar(10), "ParentId" bigint REFERENCES "Parents"("Id"))`)
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	return f, func(t *testing.T) map[int64]string { return readNames(t, f.db, "SELECT Id, Name FROM Items") }
}

// onPostgreSQL moves f's rows to a PostgreSQL database made by ddl (at
// REPEATABLE READ by default when repeatableRead); rows reads "Items".
func onPostgreSQL(t *testing.T, f *fixture, repeatableRead bool, ddl ...string) (rows func(*testing.T) map[int64]string) {
	t.Helper()
	ctx := context.Background()
	d := testenv.PostgreSQL(t)
	if repeatableRead { // for the connections opened from now on
		ddl = append(ddl, `ALTER DATABASE "`+d.Name+`" SET default_transaction_isolation = 'repeatable read'`)
	}
	for _, st := range ddl {
		if _, err := d.DB.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	shard := target.Shard{Host: d.Host, Port: target.Port(d.Port), User: d.User, Password: d.Password, DBName: d.Name,
		ConnectionProperties: "sslmode=disable"}
	tgt := postgresql.Target{}
	src, err := tgt.ReadSchema(ctx, shard)
	if err != nil {
		t.Fatal(err)
	}
	db, release, err := tgt.Acquire(shard, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	want := "read committed"
	if repeatableRead {
		want = "repeatable read"
	}
	var level string
	if err := db.QueryRow("SHOW default_transaction_isolation").Scan(&level); err != nil || level != want {
		t.Fatalf("the pool's default isolation is %q (%v), want %q", level, err, want)
	}
	f.db = db
	f.applier.Target = tgt
	f.applier.Mapper = mapping.Mapper{Spanner: itemsSpanner, Source: src, TZ: time.UTC, Values: tgt.Values()}
	return func(t *testing.T) map[int64]string { return readNames(t, d.DB, `SELECT "Id", "Name" FROM "Items"`) }
}

func readNames(t *testing.T, db *sql.DB, query string) map[int64]string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		out[id] = name
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// otherWriter is a second writer of f's shard and shadow tables (another
// pipeline, a retryDLQ run beside the job): its own Applier.
func otherWriter(f *fixture) *Applier {
	m := &f.applier.Mapper
	return &Applier{Meta: f.meta, ShadowPrefix: f.applier.ShadowPrefix, Spanner: f.applier.Spanner, Target: f.applier.Target,
		Mapper: mapping.Mapper{Spanner: m.Spanner, Source: m.Source, Names: m.Names, TZ: m.TZ, Values: m.Values}}
}

// A batch changes a row that is absent when its statements run; another
// writer then inserts the row with an older change and commits it, shadow
// row included, before the batch reads the shadow rows. The batch's change
// is the newer one, so it is applied, and the target must end with it.
//
// For a delete, that means the row is gone: a DELETE that ran before the
// insert deleted nothing, and committing it would leave the older row in
// the target under a shadow row that claims the delete, which no retry
// repairs (the older change is stale from then on). A DELETE of an absent
// row locks nothing at READ COMMITTED (nor ever on PostgreSQL), so nothing
// made the insert wait for it. An upsert inserts the row, which the other
// writer's insert waits for: the speculation gives way, and the batch
// writes after the other writer.
func TestSpeculationNeverCommitsAChangeThatRanBeforeAnInsert(t *testing.T) {
	changes := []struct {
		name   string
		change record.Record // newer than the other writer's
		want   string
	}{
		{"delete", rec(1, 2, 0, ""), "map[]"},
		{"upsert", rec(1, 2, 0, "t"), "map[1:t]"},
	}
	for _, kind := range specKinds {
		for _, c := range changes {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				f, rows := newFixtureOn(t, kind)
				ctx := context.Background()
				w := otherWriter(f)
				// Long enough for the other writer to finish while the
				// speculation waits, short of the other writer's
				// MySQLTimeout where it waits for the speculation (a row,
				// or a gap at REPEATABLE READ) to give way.
				f.applier.SpeculationWait = 4 * time.Second
				written := make(chan struct{}, 1)
				f.applier.Hooks.SpeculativeWrite = func() { written <- struct{}{} }
				var once sync.Once
				var wOut Outcome
				var wErr error
				f.applier.Hooks.BeforeShadowRead = func(speculating bool) error {
					once.Do(func() {
						if speculating {
							<-written // the batch's statements ran
						}
						wOut, wErr = w.Apply(ctx, f.db, []record.Record{rec(1, 1, 0, "w")})
					})
					return nil
				}
				out, err := f.applier.Apply(ctx, f.db, []record.Record{c.change})
				if err != nil {
					t.Fatal(err)
				}
				if wErr != nil || len(wOut.Applied) != 1 {
					t.Fatalf("the other writer: applied %d, err %v; the test proves nothing", len(wOut.Applied), wErr)
				}
				if len(out.Applied) != 1 {
					t.Fatalf("outcome %+v, want the change applied", out)
				}
				if got := f.shadowSec(t, 1); got != 2 {
					t.Fatalf("shadow row 1 at %d, want 2", got)
				}
				if got := fmt.Sprint(rows(t)); got != c.want {
					t.Errorf("target = %s, want %s: the %s at version 2 is recorded over the insert at version 1, which outlives it", got, c.want, c.name)
				}
			})
		}
	}
}

// A speculation runs its statements before the batch holds the shadow
// locks, beside the statements of other writers of the same rows (another
// speculation, or a transaction outside the pipeline) that the shadow locks
// would otherwise have kept apart from it; the target may end it as the
// victim of a deadlock with one of them. That says nothing about step 3
// run after step 1: the batch must then be written as without
// speculation, not fail. Here the speculation upserts rows 1 and 2 in one
// statement while another transaction, larger (InnoDB rolls back the
// smaller one), holds row 2 and then asks for row 1.
func TestSpeculationThatLostADeadlockLeavesTheBatchToStep3(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cfg, err := gomysql.ParseDSN(f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec("INSERT INTO Items (Id, Name) VALUES (1, 'a0'), (2, 'b0')"); err != nil {
		t.Fatal(err)
	}
	other, err := f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, st := range []string{
		"BEGIN",
		"INSERT INTO Parents (Id) SELECT seq FROM seq_1000_to_1049", // weight: the speculation is the smaller
		"UPDATE Items SET Name = 'x2' WHERE Id = 2",
	} {
		if _, err := other.ExecContext(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	var sp speculations
	f.applier.Hooks.Speculated = sp.hook
	var otherErr error
	var once sync.Once
	f.applier.Hooks.BeforeShadowRead = func(speculating bool) error {
		once.Do(func() {
			if speculating {
				waitForLockWait(t, f.db, cfg.DBName) // the speculation holds row 1, waits for row 2
				_, otherErr = other.ExecContext(ctx, "UPDATE Items SET Name = 'x1' WHERE Id = 1")
			}
			if _, err := other.ExecContext(ctx, "ROLLBACK"); err != nil && otherErr == nil {
				otherErr = err
			}
		})
		return nil
	}
	out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 1, 0, "a1"), rec(2, 1, 0, "b1")})
	if otherErr != nil {
		t.Fatalf("the other transaction was the deadlock's victim (%v): the test proves nothing", otherErr)
	}
	if used, wasted := sp.counts(); used+wasted != 1 {
		t.Fatalf("speculations used %d, wasted %d: none ran, the test proves nothing", used, wasted)
	}
	if err != nil {
		t.Fatalf("the batch failed with its speculation's deadlock: %v", err)
	}
	if len(out.Applied) != 2 {
		t.Errorf("outcome %+v, want both applied", out)
	}
	if got := fmt.Sprint(f.rows(t)); got != "map[1:a1 2:b1]" {
		t.Errorf("MySQL = %s", got)
	}
}

// waitForLockWait waits until a transaction of database name waits for a
// row lock. The server refreshes what INNODB_TRX shows only once it has
// not been read for 100 ms: it is read less often than that.
func waitForLockWait(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		var n int
		err := db.QueryRow(`SELECT COUNT(*) FROM information_schema.INNODB_TRX t
			JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
			WHERE t.trx_state = 'LOCK WAIT' AND p.DB = ?`, name).Scan(&n)
		if err != nil {
			t.Error(err)
			return
		}
		if n > 0 {
			return
		}
	}
	t.Error("no transaction came to wait for a row lock")
}
