package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
)

// TestPostgreSQLReadOnlyAfterLaunch makes the server read-only after the
// launch (default_transaction_read_only=on server-wide, reloaded, so that
// the writer's open sessions turn read-only too, as after a failover that
// left the shard a read-only node): records written meanwhile go to retry/
// with PostgreSQL's reason (SQLSTATE 25006), and are applied once the
// server is writable again; nothing is left in the DLQ. The server is
// private to the test, since the setting is server-wide.
func TestPostgreSQLReadOnlyAfterLaunch(t *testing.T) {
	server := testenv.PrivatePostgreSQL(t)
	e := newPGInputEnv(t, "pgro", []string{
		"CREATE TABLE Accounts (Id INT64 NOT NULL, Name STRING(100), Balance INT64) PRIMARY KEY (Id)",
	}, []string{"CREATE TABLE Accounts (Id bigint PRIMARY KEY, Name varchar(100), Balance bigint)"}, server)
	admin := server.Admin(t)
	ctx := context.Background()
	start := time.Now()
	const runFor = 45 * time.Second
	v := e.values(start, runFor)
	v["dlqMaxRetryCount"] = "1000"
	retry := inputWatch(e.dlqDir, dlq.RetryDir)
	defer retry.close()
	plan := e.prepare(t, v, inputPolls(3*time.Second))

	setReadOnly := func(on bool) error {
		q := "ALTER SYSTEM SET default_transaction_read_only = on"
		if !on {
			q = "ALTER SYSTEM RESET default_transaction_read_only"
		}
		if _, err := admin.DB.Exec(q); err != nil {
			return err
		}
		_, err := admin.DB.Exec("SELECT pg_reload_conf()")
		return err
	}
	if err := setReadOnly(true); err != nil {
		t.Fatal(err)
	}
	// The fault is in place: a new session of the writer's user is
	// read-only.
	if ro := pgSetting(t, server, "default_transaction_read_only"); ro != "on" {
		t.Fatalf("default_transaction_read_only is %q after the change, want on", ro)
	}

	cols := []string{"Id", "Name", "Balance"}
	writes := make(chan error, 1)
	var writableAt time.Duration
	go func() {
		writes <- func() error {
			var ins []*spanner.Mutation
			for i := int64(1); i <= 5; i++ {
				ins = append(ins, spanner.Insert("Accounts", cols, []any{i, "a", i * 10}))
			}
			if err := inputApply(ctx, e.client, ins, []*spanner.Mutation{spanner.Update("Accounts", cols, []any{int64(2), "b", int64(21)})}); err != nil {
				return err
			}
			// Writable again once the records are in retry/ for being
			// refused, with time left for a few polls before the end.
			deadline := start.Add(runFor - 20*time.Second)
			for _, k := range []string{`{"Id":"1"}`, `{"Id":"2"}`} {
				if err := retry.waitFor("Accounts", k, deadline); err != nil {
					return err
				}
			}
			if err := setReadOnly(false); err != nil {
				return err
			}
			writableAt = time.Since(start)
			return inputApply(ctx, e.client,
				[]*spanner.Mutation{spanner.Delete("Accounts", spanner.Key{int64(3)})},
				[]*spanner.Mutation{spanner.Insert("Accounts", cols, []any{int64(6), "f", int64(60)})})
		}()
	}()
	res := testrun.Plan(t, plan)
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}
	retry.close()
	t.Logf("writable again at +%v", writableAt.Round(time.Second))

	for _, k := range []string{`{"Id":"1"}`, `{"Id":"2"}`} {
		errs := retry.errors("Accounts", k)
		inputWantAll(t, "Accounts "+k+" written while read-only", errs, "SQLSTATE 25006")
		inputWantAll(t, "Accounts "+k+" written while read-only", errs, "read-only transaction")
	}
	if n := testrun.Counter(res, "elementsReconsumedFromDeadLetterQueue"); n == 0 {
		t.Error("nothing was reconsumed from retry/")
	}
	if ms := e.compareAll(t, localenv.Table{Name: "Accounts", Key: []string{"Id"}}); len(ms) != 0 {
		t.Errorf("%d mismatches, want none", len(ms))
	}
	for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
		for _, l := range e.dlqLines(t, sub) {
			t.Errorf("%s/ still holds %s %s: %s", sub, l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
		}
	}
}

// pgSetting reads a server setting as a new session sees it.
func pgSetting(t *testing.T, server *testenv.PrivatePG, name string) string {
	t.Helper()
	d := server.Admin(t)
	var v string
	if err := d.DB.QueryRow("SELECT current_setting($1)", name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(v, "on") && !strings.EqualFold(v, "off") {
		t.Fatalf("%s = %q", name, v)
	}
	return v
}
