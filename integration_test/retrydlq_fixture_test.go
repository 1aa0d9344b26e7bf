package integration_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestRetryDLQFixtureEndsConsistent replays the Java template's
// SpannerToSourceDBMySQLRetryDLQIT situation on testdata/accounts: an
// account whose balance breaks MySQL's check constraint and an invoice
// whose account does not exist yet both fail and go to retry/. Then the
// account arrives and the balance is raised in Spanner. Retried from
// retry/, the invoice applies; the account's first version, older than the
// raised one, is dropped by the shadow check. MySQL ends equal to Spanner
// and the DLQ ends empty.
func TestRetryDLQFixtureEndsConsistent(t *testing.T) {
	dir := ownDir("accounts")
	emu := testenv.Spanner(t)
	admin, dsn := testenv.MySQL(t)
	for _, st := range fixtureDDL(t, dir, "mysql.sql") {
		if _, err := admin.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	id := fmt.Sprintf("rdlq%d", time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, emu, id, false, append(fixtureDDL(t, dir, "spanner.sql"), changeStream(false)))
	testenv.CreateDatabase(t, emu, id+"meta", false, nil)
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	root := t.TempDir()
	start := time.Now().UTC()
	values := params.Values{
		"changeStreamName": "allstream", "instanceId": emu.Instance, "databaseId": id,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": id + "meta",
		"sourceShardsFilePath": testenv.ShardFile(t, admin, dsn), "deadLetterQueueDirectory": root,
		"startTimestamp": start.Format(time.RFC3339Nano), "endTimestamp": start.Add(20 * time.Second).Format(time.RFC3339Nano),
		// The MySQL key of Invoices includes SourceSystem, Spanner's
		// non-key Channel under another name.
		"columnOverrides": accountsOverrides,
	}
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		err := apply(ctx, client,
			[]*spanner.Mutation{spanner.Insert("Accounts", accountCols, []any{int64(2), "Bo", big.NewRat(50, 1), "south"})},
			[]*spanner.Mutation{spanner.Insert("Invoices", invoiceCols, []any{int64(3), int64(300), big.NewRat(99, 1), "web"})})
		if err == nil {
			time.Sleep(2 * time.Second)
			err = apply(ctx, client,
				[]*spanner.Mutation{spanner.Insert("Accounts", accountCols, []any{int64(3), "Cy", big.NewRat(300, 1), "east"})},
				[]*spanner.Mutation{spanner.Update("Accounts", []string{"AccountId", "Balance"}, []any{int64(2), big.NewRat(200, 1)})})
		}
		writes <- err
	}()
	res := testrun.Pipeline(t, ctx, values, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: 3 * time.Second})
	if err := <-writes; err != nil {
		t.Fatal(err)
	}
	// Both first attempts failed and came back from retry/.
	if n := testrun.Counter(res, "retryable_record_count"); n != 0 {
		t.Errorf("retryable_record_count = %d, want 0 once everything is applied", n)
	}
	if n := testrun.Counter(res, "elementsReconsumedFromDeadLetterQueue"); n < 2 {
		t.Errorf("%d records came back from retry/, want at least the account and the invoice", n)
	}
	wantRows(t, admin, "SELECT AccountId, Holder, Balance, Region FROM Accounts ORDER BY AccountId",
		"2|Bo|200.00|south", "3|Cy|300.00|east")
	wantRows(t, admin, "SELECT AccountId, SourceSystem, InvoiceId, Amount FROM Invoices", "3|web|300|99.00")
	for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
		if l := dlqLines(t, root, sub); len(l) > 0 {
			t.Errorf("%s/ still has %v", sub, keysOf(localenv.DLQByKey(l)))
		}
	}
}
