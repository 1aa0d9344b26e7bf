package faults

import (
	"context"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
)

// newPGInputEnv is newInputEnv with a PostgreSQL shard: a database of its
// own on d's server (the shared one when d is nil) holding pgDDL, and the
// test account (testenv.PGShardUser) with every right in it.
func newPGInputEnv(t *testing.T, prefix string, spannerDDL, pgDDL []string, server *testenv.PrivatePG) *inputEnv {
	t.Helper()
	var d testenv.PGDatabase
	if server != nil {
		d = server.Database(t)
	} else {
		d = testenv.PostgreSQL(t)
	}
	for _, st := range pgDDL {
		if _, err := d.DB.Exec(st); err != nil {
			t.Fatalf("%.80s: %v", st, err)
		}
	}
	e := &inputEnv{emu: testenv.Spanner(t), dlqDir: filepath.Join(t.TempDir(), "dlq"), pg: &d}
	e.shardFile = testenv.PGShardFile(t, d)
	e.createSpanner(t, prefix, spannerDDL)
	return e
}

// pgExec runs statements on the test's PostgreSQL database as the admin.
func (e *inputEnv) pgExec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, st := range stmts {
		if _, err := e.pg.DB.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// The PostgreSQL side of inputFKSpanner; names unquoted, so lower case.
var inputFKPostgreSQL = []string{
	"CREATE TABLE Parents (Id bigint PRIMARY KEY, Name varchar(100))",
	"CREATE TABLE Children (Id bigint PRIMARY KEY, ParentId bigint REFERENCES Parents(Id), Label varchar(100))",
}

// The PostgreSQL side of inputBigSpanner: columns narrower than Spanner's,
// and notes.msg narrowed after the launch, so that only the server can
// tell (SQLSTATE 22001).
var inputBigPostgreSQL = []string{
	"CREATE TABLE Items (Id bigint PRIMARY KEY, Code varchar(5), Small smallint, Price numeric(5,2), Note text)",
	"CREATE TABLE Notes (Id bigint PRIMARY KEY, Msg varchar(100))",
}

// TestPostgreSQLTooLargeValues is TestTooLargeValues with a PostgreSQL
// shard: each value that does not fit goes to severe/ with the reason,
// everything else is applied, and the rows that differ at the end are
// exactly the severe ones.
func TestPostgreSQLTooLargeValues(t *testing.T) {
	e := newPGInputEnv(t, "pgbig", inputBigSpanner, inputBigPostgreSQL, nil)
	ctx := context.Background()
	start := time.Now()
	plan := e.prepare(t, e.values(start, 20*time.Second), inputPolls(time.Hour))
	e.pgExec(t, "ALTER TABLE Notes ALTER COLUMN Msg TYPE varchar(5)")
	icols := []string{"Id", "Code", "Small", "Price", "Note"}
	item := func(id int64, code string, small int64, price string, note string) *spanner.Mutation {
		p, ok := new(big.Rat).SetString(price)
		if !ok {
			t.Fatalf("price %q", price)
		}
		return spanner.Insert("Items", icols, []any{id, code, small, p, note})
	}
	note := func(id int64, msg string) *spanner.Mutation {
		return spanner.Insert("Notes", []string{"Id", "Msg"}, []any{id, msg})
	}
	writes := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		writes <- inputApply(ctx, e.client, []*spanner.Mutation{
			item(1, "a1", 1, "1.5", "fits"),
			item(2, "toolong", 2, "2", "code too long"),
			item(3, "a3", 40000, "3", "small out of range"),
			item(4, "a4", 4, "1234.5", "price out of range"),
			item(5, "a5", -40000, "5", "small below range"),
			item(6, "a6", 32767, "999.99", "fits at the limits"),
			item(7, "a7", 7, "7", "updated later"),
			note(1, "ok"), note(2, "fine"), note(3, "far too long"), note(4, "good"), note(5, "yes"), note(6, "12345"),
			note(7, "a"), note(8, "b"), note(9, "c"), note(10, "d"), note(11, "e"), note(12, "f"),
		}, []*spanner.Mutation{
			spanner.Update("Items", []string{"Id", "Code"}, []any{int64(7), "seventy"}),
			spanner.Update("Items", []string{"Id", "Note"}, []any{int64(1), "fits, updated"}),
			spanner.Update("Notes", []string{"Id", "Msg"}, []any{int64(4), "much too long"}),
			spanner.Update("Notes", []string{"Id", "Msg"}, []any{int64(5), "yes!"}),
		})
	}()
	testrun.Plan(t, plan)
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}

	// Each misfit: the column (as PostgreSQL names it), then the reason.
	want := map[string][2]string{
		`Items {"Id":"2"}`: {`convert column "code"`, "7 characters do not fit character varying(5) (at most 5)"},
		`Items {"Id":"3"}`: {`convert column "small"`, "Spanner INT64 value \"40000\" into PostgreSQL smallint: 40000 is out of range for int2 (-32768 to 32767)"},
		`Items {"Id":"4"}`: {`convert column "price"`, "is out of range for numeric(5,2)"},
		`Items {"Id":"5"}`: {`convert column "small"`, "-40000 is out of range for int2 (-32768 to 32767)"},
		`Items {"Id":"7"}`: {`convert column "code"`, "7 characters do not fit character varying(5)"},
		// Launch saw varchar(100): only PostgreSQL knows, and says so.
		`Notes {"Id":"3"}`: {"value too long for type character varying(5)", "SQLSTATE 22001"},
		`Notes {"Id":"4"}`: {"value too long for type character varying(5)", "SQLSTATE 22001"},
	}
	severe := localenv.DLQByKey(e.dlqLines(t, dlq.SevereDir))
	for k, w := range want {
		l, ok := severe[k]
		switch {
		case !ok:
			t.Errorf("severe/ lacks %s", k)
		case !strings.Contains(l.ErrorMessage, w[0]) || !strings.Contains(l.ErrorMessage, w[1]):
			t.Errorf("severe/ has %s with %q, want %q and %q", k, l.ErrorMessage, w[0], w[1])
		}
	}
	for _, k := range inputSortedKeys(severe) {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected severe record %s: %s", k, severe[k].ErrorMessage)
		}
	}
	for _, l := range e.dlqLines(t, dlq.RetryDir) {
		t.Errorf("retry/ holds %s %s: %s", l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
	}
	mismatched := map[string]bool{}
	for _, m := range e.compareAll(t, inputBigTables...) {
		mismatched[inputMismatchKey(m)] = true
	}
	if got, wantKeys := strings.Join(inputSortedKeys(mismatched), "; "), strings.Join(inputSortedKeys(want), "; "); got != wantKeys {
		t.Errorf("rows that differ: %s\nwant exactly the severe ones: %s", got, wantKeys)
	}
}

// TestPostgreSQLNoDeleteRight takes DELETE on the replicated table away
// from the writer's user after the launch (which would refuse the user
// otherwise): every delete goes to the DLQ with PostgreSQL's refusal
// (SQLSTATE 42501), inserts and updates are applied, and the only rows
// that differ are the ones whose delete is in the DLQ.
func TestPostgreSQLNoDeleteRight(t *testing.T) {
	e := newPGInputEnv(t, "pgnodel", []string{
		"CREATE TABLE Accounts (Id INT64 NOT NULL, Name STRING(100), Balance INT64) PRIMARY KEY (Id)",
	}, []string{"CREATE TABLE Accounts (Id bigint PRIMARY KEY, Name varchar(100), Balance bigint)"}, nil)
	ctx := context.Background()
	start := time.Now()
	plan := e.prepare(t, e.values(start, 25*time.Second), inputPolls(3*time.Second))
	e.pgExec(t, `REVOKE DELETE ON Accounts FROM "`+testenv.PGShardUser+`"`)
	// The fault is in place: the writer's user may no longer delete.
	var mayDelete bool
	if err := e.pg.DB.QueryRow(`SELECT has_table_privilege($1, 'accounts', 'DELETE')`, testenv.PGShardUser).Scan(&mayDelete); err != nil {
		t.Fatal(err)
	}
	if mayDelete {
		t.Fatal("the writer's user still holds DELETE on accounts")
	}

	cols := []string{"Id", "Name", "Balance"}
	writes := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		var ins []*spanner.Mutation
		for i := int64(1); i <= 6; i++ {
			ins = append(ins, spanner.Insert("Accounts", cols, []any{i, "a", i * 10}))
		}
		if err := inputApply(ctx, e.client, ins); err != nil {
			writes <- err
			return
		}
		// Later, so that the deletes are not in the inserts' batch.
		time.Sleep(3 * time.Second)
		writes <- inputApply(ctx, e.client,
			[]*spanner.Mutation{spanner.Delete("Accounts", spanner.Key{int64(2)}), spanner.Update("Accounts", cols, []any{int64(3), "b", int64(31)})},
			[]*spanner.Mutation{spanner.Delete("Accounts", spanner.Key{int64(4)})},
			[]*spanner.Mutation{spanner.Update("Accounts", cols, []any{int64(5), "c", int64(51)})})
	}()
	testrun.Plan(t, plan)
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}

	all := localenv.DLQByKey(e.dlqLines(t, ""))
	for _, k := range []string{`Accounts {"Id":"2"}`, `Accounts {"Id":"4"}`} {
		l, ok := all[k]
		switch {
		case !ok:
			t.Errorf("the DLQ lacks the delete of %s", k)
		case !strings.Contains(l.ErrorMessage, "permission denied for table accounts") || !strings.Contains(l.ErrorMessage, "SQLSTATE 42501"):
			t.Errorf("the delete of %s is in the DLQ with %q, want PostgreSQL's permission denied (SQLSTATE 42501)", k, l.ErrorMessage)
		default:
			t.Logf("%s: %s", k, l.ErrorMessage)
		}
	}
	for k, l := range all {
		if k != `Accounts {"Id":"2"}` && k != `Accounts {"Id":"4"}` {
			t.Errorf("unexpected DLQ record %s: %s", k, l.ErrorMessage)
		}
	}
	mismatched := map[string]bool{}
	for _, m := range e.compareAll(t, localenv.Table{Name: "Accounts", Key: []string{"Id"}}) {
		mismatched[inputMismatchKey(m)] = true
	}
	if got := strings.Join(inputSortedKeys(mismatched), "; "); got != `Accounts {"Id":"2"}; Accounts {"Id":"4"}` {
		t.Errorf("rows that differ: %s, want exactly the two whose delete was refused", got)
	}
}
