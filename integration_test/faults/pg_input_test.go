package faults

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
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
