package apply

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// Mapping beside the shadow read (prepare.go): the protocol's tests on a
// batch whose rows are mapped while its transaction starts.

// gated converts values as its Values do, but a value "gated" waits until
// open is closed (at most a second: then late is closed), and a value
// "boom" panics (a bug in a converter).
type gated struct {
	mapping.Values
	open, late chan struct{}
}

func newGated(v mapping.Values) *gated {
	return &gated{Values: v, open: make(chan struct{}), late: make(chan struct{})}
}

// release lets gated values through; it may be called more than once
// (from one goroutine at a time: the batch's hooks).
func (g *gated) release() {
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

func (g *gated) Value(t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error) {
	switch string(raw) {
	case `"gated"`:
		select {
		case <-g.open:
		case <-time.After(time.Second):
			close(g.late)
		}
	case `"boom"`:
		panic("converter bug")
	}
	return g.Values.Value(t, raw, col, tz)
}

// protocolKinds runs a test on the Spanner-side protocol (the metadata
// database, rows in MariaDB or PostgreSQL) and on the source-side one.
var protocolKinds = []string{"metadata/mariadb", "metadata/postgresql", "source/mariadb", "source/postgresql"}

// protocolFixture is the fixture of kind: the writer, its pool, the rows,
// and the version second of a key's shadow row (-1 when none).
type protocolFixture struct {
	applier   *Applier
	db        *sql.DB
	rows      func(*testing.T) map[int64]string
	shadowSec func(*testing.T, int64) int64
}

func newProtocolFixture(t *testing.T, kind string) protocolFixture {
	t.Helper()
	where, target, _ := strings.Cut(kind, "/")
	if where == "source" {
		f := newSrcFixture(t, target)
		return protocolFixture{applier: f.applier, db: f.db, rows: f.rows, shadowSec: f.shadowSec}
	}
	f, rows := newFixtureOn(t, target)
	return protocolFixture{applier: f.applier, db: f.db, rows: rows, shadowSec: func(t *testing.T, id int64) int64 {
		if f.hasShadowRow(t, id) {
			return f.shadowSec(t, id)
		}
		return -1
	}}
}

// gate converts f's values through a gated converter, released when the
// batch's transaction starts its shadow read (Spanner side) or has locked
// its shadow rows (source side).
func (f protocolFixture) gate() *gated {
	g := newGated(f.applier.Mapper.Values)
	f.applier.Mapper.Values = g
	f.applier.Hooks.BeforeShadowRead = func(bool) error { g.release(); return nil }
	f.applier.Hooks.AfterShadowRead = func() error { g.release(); return nil }
	return g
}

// TestMappingRunsBesideTheShadowRead: without a custom transformation, a
// batch's rows are mapped while its transaction starts and reads (or
// locks) its shadow rows, not before: here a value cannot be converted
// until the shadow read has started (Spanner side) or the shadow rows are
// locked (source side), and the batch still applies.
func TestMappingRunsBesideTheShadowRead(t *testing.T) {
	for _, kind := range protocolKinds {
		t.Run(kind, func(t *testing.T) {
			f := newProtocolFixture(t, kind)
			g := f.gate()
			out, err := f.applier.Apply(context.Background(), f.db, []record.Record{rec(1, 1, 0, "a"), rec(2, 1, 0, "gated"), rec(3, 1, 0, "c")})
			if err != nil || len(out.Applied) != 3 {
				t.Fatalf("applied %d, failed %v, err %v; want all 3", len(out.Applied), out.Failed, err)
			}
			select {
			case <-g.late:
				t.Fatal("the row was mapped before the batch's transaction read its shadow rows")
			default:
			}
			if got := f.rows(t); len(got) != 3 || got[2] != "gated" {
				t.Errorf("rows %v, want keys 1 to 3", got)
			}
		})
	}
}

// TestTransformationRunsBeforeTheTransaction: a custom transformation, the
// user's code, runs for every record before the batch's transaction
// starts, never while it holds locks.
func TestTransformationRunsBeforeTheTransaction(t *testing.T) {
	for _, kind := range []string{"metadata/mariadb", "source/mariadb"} {
		t.Run(kind, func(t *testing.T) {
			f := newProtocolFixture(t, kind)
			// Slow enough that a transformation running beside the
			// transaction would not be done when it starts.
			tr := &oneAtATime{delay: 100 * time.Millisecond}
			f.applier.Transform = tr
			calls := int64(-1)
			seen := func() error {
				if calls < 0 { // the first hook: BeforeShadowRead, or AfterShadowRead on the source side
					calls = tr.calls.Load()
				}
				return nil
			}
			f.applier.Hooks.BeforeShadowRead = func(bool) error { return seen() }
			f.applier.Hooks.AfterShadowRead = seen
			out, err := f.applier.Apply(context.Background(), f.db, []record.Record{rec(1, 1, 0, "a"), rec(2, 1, 0, "b")})
			if err != nil || len(out.Applied) != 2 {
				t.Fatalf("applied %d, err %v", len(out.Applied), err)
			}
			if calls != 2 {
				t.Errorf("the transformation had run %d times when the transaction started, want 2 (all)", calls)
			}
		})
	}
}

// TestUnmappedRecordIsLeftOutOfTheDecision: a record keyed but not mapped
// (a value the column cannot hold, found after the shadow rows were read
// or locked) fails alone. No shadow row records it: the key with no other
// change has no version, and a key whose newest change failed records the
// older one that applied, so the failed change, retried from the DLQ, is
// still newer. The batch does not speculate (its plan was made for all
// its records), and that is not a wasted speculation: the next batch
// speculates.
func TestUnmappedRecordIsLeftOutOfTheDecision(t *testing.T) {
	tooLong := `{"Name":"this name is far too long","ParentId":null}`
	for _, kind := range protocolKinds {
		t.Run(kind, func(t *testing.T) {
			f := newProtocolFixture(t, kind)
			var sp speculations
			f.applier.Hooks.Speculated = sp.hook
			// Key 1's value holds the mapping back until the transaction
			// has started, so that the speculation starts before the
			// mapping has failed.
			g := f.gate()
			batch := []record.Record{rec(1, 1, 0, "gated"), rec(2, 1, 0, "b"), rec(3, 1, 0, "c"), rec(3, 2, 0, "c2")}
			batch[1].Mod.NewValuesJSON = tooLong
			batch[3].Mod.NewValuesJSON = tooLong
			out, err := f.applier.Apply(context.Background(), f.db, batch)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Applied) != 2 || len(out.Failed) != 2 ||
				out.Failed[0].Record.Mod.KeysJSON != `{"Id":"2"}` || out.Failed[1].Record.CommitTimestamp != batch[3].CommitTimestamp {
				t.Fatalf("applied %d, failed %v; want keys 1 and 3 (its older change) applied, key 2 and key 3's newer change failed", len(out.Applied), out.Failed)
			}
			select {
			case <-g.late:
				t.Fatal("the rows were mapped before the transaction started: the test proves nothing")
			default:
			}
			if got := f.rows(t); len(got) != 2 || got[1] != "gated" || got[3] != "c" {
				t.Errorf("rows %v, want 1:gated and 3:c", got)
			}
			for id, want := range map[int64]int64{1: 1, 2: -1, 3: 1} {
				if sec := f.shadowSec(t, id); sec != want {
					t.Errorf("shadow version of key %d: %d, want %d", id, sec, want)
				}
			}
			if strings.HasPrefix(kind, "metadata") {
				if used, wasted := sp.counts(); used != 0 || wasted != 0 {
					t.Errorf("speculations used %d, wasted %d; want none for a batch not all mapped", used, wasted)
				}
				out, err = f.applier.Apply(context.Background(), f.db, []record.Record{rec(4, 1, 0, "d")})
				if used, wasted := sp.counts(); err != nil || len(out.Applied) != 1 || used != 1 || wasted != 0 {
					t.Errorf("next batch: applied %d, err %v, speculations used %d, wasted %d; want it applied by its speculation", len(out.Applied), err, used, wasted)
				}
			}
			// The failed change, retried with a value that fits, is newer
			// than what the shadow row recorded.
			retry := batch[3]
			retry.Mod.NewValuesJSON = `{"Name":"c3","ParentId":null}`
			out, err = f.applier.Apply(context.Background(), f.db, []record.Record{retry})
			if err != nil || len(out.Applied) != 1 || f.rows(t)[3] != "c3" || f.shadowSec(t, 3) != 2 {
				t.Errorf("retry of key 3's newer change: applied %d, err %v, row %q, shadow %d; want it applied", len(out.Applied), err, f.rows(t)[3], f.shadowSec(t, 3))
			}
		})
	}
}

// TestPanicWhileMappingReachesTheCallerAndLeavesNothing: a converter that
// panics on a mapping goroutine, while the batch's transaction runs,
// panics in Apply's caller (the runner fails and retries the bundle) once
// the transaction is over: nothing applied, no connection kept, no lock
// held (the next batch of the same keys applies).
func TestPanicWhileMappingReachesTheCallerAndLeavesNothing(t *testing.T) {
	for _, kind := range protocolKinds {
		t.Run(kind, func(t *testing.T) {
			f := newProtocolFixture(t, kind)
			f.gate()
			batch := []record.Record{rec(1, 1, 0, "a"), rec(2, 1, 0, "boom")}
			got := func() (r any) {
				defer func() { r = recover() }()
				_, _ = f.applier.Apply(context.Background(), f.db, batch)
				return nil
			}()
			if got == nil || !strings.Contains(fmt.Sprint(got), "converter bug") {
				t.Fatalf("Apply's caller got %v, want the converter's panic", got)
			}
			if rows := f.rows(t); len(rows) != 0 {
				t.Errorf("rows %v after the panic, want none", rows)
			}
			if sec := f.shadowSec(t, 1); sec != -1 {
				t.Errorf("shadow version of key 1: %d, want none", sec)
			}
			if n := f.db.Stats().InUse; n != 0 {
				t.Errorf("%d connections still in use after the panic", n)
			}
			batch[1] = rec(2, 1, 0, "b")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := f.applier.Apply(ctx, f.db, batch)
			if err != nil || len(out.Applied) != 2 {
				t.Errorf("the same keys after the panic: applied %d, err %v", len(out.Applied), err)
			}
		})
	}
}

// hasShadowRow reports whether key id has a shadow row in the metadata
// database.
func (f *fixture) hasShadowRow(t *testing.T, id int64) bool {
	t.Helper()
	_, err := f.meta.Single().ReadRow(context.Background(), "shadow_Items", spanner.Key{id}, []string{"record_seq"})
	if spanner.ErrCode(err) == codes.NotFound {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// TestUnmappedRecordsKeyDoesNotFailAnother: a batch's shadow read covers
// the keys of records that then fail to map. When the read fails because
// of such a key (here its table has no shadow table), the record that
// did map is tried again without it, not failed with another's error.
func TestUnmappedRecordsKeyDoesNotFailAnother(t *testing.T) {
	f := newFixture(t)
	path := testenv.CreateDatabase(t, testenv.Spanner(t), fmt.Sprintf("noparents%d", time.Now().UnixNano()%1e12), false, []string{
		"CREATE TABLE shadow_Items (Id INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (Id)",
	})
	meta, err := spanner.NewClient(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	f.applier.Meta, f.meta = meta, meta
	parent := rec(9, 1, 0, "x")
	parent.TableName, parent.Mod.NewValuesJSON = "Parents", `[1]` // keyed, not mapped
	out, err := f.applier.ApplyIsolating(context.Background(), f.db, []record.Record{rec(1, 1, 0, "a"), parent})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Applied) != 1 || len(out.Failed) != 1 || out.Failed[0].Record.TableName != "Parents" {
		t.Fatalf("applied %d, failed %v; want Items 1 applied and the Parents record failed", len(out.Applied), out.Failed)
	}
	if got := f.rows(t); got[1] != "a" || f.shadowSec(t, 1) != 1 {
		t.Errorf("rows %v, shadow %d; want key 1 applied and recorded", got, f.shadowSec(t, 1))
	}
}
