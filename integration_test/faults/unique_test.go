package faults

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
)

var (
	uniqueSpanner = []string{
		`CREATE TABLE Users (Id INT64 NOT NULL, Email STRING(100), Name STRING(100)) PRIMARY KEY (Id)`,
		`CREATE UNIQUE INDEX UsersByEmail ON Users (Email)`,
	}
	uniqueMySQL = []string{
		"CREATE TABLE Users (Id BIGINT PRIMARY KEY, Email VARCHAR(100), Name VARCHAR(100), UNIQUE KEY by_email (Email)) ENGINE=InnoDB",
	}
	uniqueTables = []localenv.Table{{Name: "Users", Key: []string{"Id"}}}
)

// TestUniqueKeyScenarios replicates, through the whole pipeline, changes
// whose unique values move between rows: a value freed by an update and
// taken by a new row (A), freed by a delete and taken in the same
// transaction (B), and swapped between two rows in one transaction (C).
// The old writer merged the new row into the holder or lost it; now MySQL
// must end equal to Spanner with nothing left in the dead-letter queue.
func TestUniqueKeyScenarios(t *testing.T) {
	e := newInputEnv(t, "uniq", uniqueSpanner, uniqueMySQL)
	ctx := context.Background()
	cols := []string{"Id", "Email", "Name"}
	u := func(id int64, email, name string) *spanner.Mutation {
		return spanner.InsertOrUpdate("Users", cols, []any{id, email, name})
	}
	// Rows present on both sides before the run.
	if _, err := e.client.Apply(ctx, []*spanner.Mutation{u(10, "b10", "Ben"), u(20, "p", "Pat"), u(21, "q", "Quinn")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mysql.Exec("INSERT INTO Users VALUES (10, 'b10', 'Ben'), (20, 'p', 'Pat'), (21, 'q', 'Quinn')"); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	const runFor = 25 * time.Second
	plan := e.prepare(t, e.values(start, runFor), inputPolls(3*time.Second))
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		writes <- inputApply(ctx, e.client,
			// A: 1 takes a, frees it, 2 takes it.
			[]*spanner.Mutation{u(1, "a", "Alice")},
			[]*spanner.Mutation{u(1, "b", "Alice")},
			[]*spanner.Mutation{u(2, "a", "Bob")},
			// B: one transaction deletes 10 and gives its value to 11.
			[]*spanner.Mutation{u(3, "c", "Carol"), spanner.Delete("Users", spanner.Key{int64(10)}), u(11, "b10", "Bea")},
			// C: one transaction swaps the values of 20 and 21.
			[]*spanner.Mutation{u(20, "q", "Pat"), u(21, "p", "Quinn")},
		)
	}()
	res := testrun.Plan(t, plan)
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}
	// 8 changes; two of key 1 may share a batch, the older superseded.
	applied, older := testrun.Counter(res, "success_record_count"), testrun.Counter(res, "records_skipped_as_older")
	if applied+older < 8 || applied < 7 {
		t.Errorf("%d records applied and %d older, want the 8 changes accounted for", applied, older)
	}
	if ms := e.compareAll(t, uniqueTables...); len(ms) != 0 {
		t.Errorf("%d mismatches, want none", len(ms))
	}
	for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
		for _, l := range e.dlqLines(t, sub) {
			t.Errorf("%s/ still holds %s %s: %s", sub, l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
		}
	}
}
