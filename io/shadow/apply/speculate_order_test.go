package apply

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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
	case "postgresql":
		ctx := context.Background()
		d := testenv.PostgreSQL(t)
		for _, st := range []string{
			`CREATE TABLE "Parents" ("Id" bigint PRIMARY KEY)`,
			`CREATE TABLE "Items" ("Id" bigint PRIMARY KEY, "Name" varchar(10), "ParentId" bigint REFERENCES "Parents"("Id"))`,
		} {
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
		f.db = db
		f.applier.Target = tgt
		f.applier.Mapper = mapping.Mapper{Spanner: itemsSpanner, Source: src, TZ: time.UTC, Values: tgt.Values()}
		return f, func(t *testing.T) map[int64]string { return readNames(t, d.DB, `SELECT "Id", "Name" FROM "Items"`) }
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	return f, func(t *testing.T) map[int64]string { return readNames(t, f.db, "SELECT Id, Name FROM Items") }
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
