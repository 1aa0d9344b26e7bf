package integration_test

import (
	"context"
	"fmt"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"math/big"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/template/params"
)

// TestRetryDLQFixtureEndsConsistent replays the Java template's
// SpannerToSourceDBMySQLRetryDLQIT situation: a customer whose credit limit
// breaks MySQL's check constraint and an order whose customer does not exist
// yet both fail and go to retry/. Then the customer arrives and the limit is
// raised in Spanner. Retried from retry/, the order applies; the customer's
// first version, older than the raised one, is dropped by the shadow check.
// MySQL ends equal to Spanner and the DLQ ends empty.
func TestRetryDLQFixtureEndsConsistent(t *testing.T) {
	const it = "SpannerToSourceDBMySQLRetryDLQIT"
	emu := testenv.Spanner(t)
	admin, dsn := testenv.MySQL(t)
	for _, st := range forMariaDB(fixtureDDL(t, it, "mysql-schema.sql")) {
		if _, err := admin.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	id := fmt.Sprintf("rdlq%d", time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, emu, id, false, append(fixtureDDL(t, it, "spanner-schema.sql"), changeStream(false)))
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
		// The MySQL key of Orders includes LegacyOrderSystem, Spanner's
		// non-key OrderSource under another name.
		"columnOverrides": "[{Customers.LegacyRegion, Customers.LoyaltyTier}, {Orders.LegacyOrderSystem, Orders.OrderSource}]",
	}
	cu := []string{"CustomerId", "CustomerName", "CreditLimit", "LoyaltyTier"}
	or := []string{"CustomerId", "OrderId", "OrderValue", "OrderSource"}
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		err := apply(ctx, client,
			[]*spanner.Mutation{spanner.Insert("Customers", cu, []any{int64(2), "Bob", big.NewRat(500, 1), "tin"})},
			[]*spanner.Mutation{spanner.Insert("Orders", or, []any{int64(3), int64(300), big.NewRat(99, 1), "web"})})
		if err == nil {
			time.Sleep(2 * time.Second)
			err = apply(ctx, client,
				[]*spanner.Mutation{spanner.Insert("Customers", cu, []any{int64(3), "Cy", big.NewRat(3000, 1), "gold"})},
				[]*spanner.Mutation{spanner.Update("Customers", []string{"CustomerId", "CreditLimit"}, []any{int64(2), big.NewRat(2000, 1)})})
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
		t.Errorf("%d records came back from retry/, want at least the customer and the order", n)
	}
	wantRows(t, admin, "SELECT CustomerId, CustomerName, CreditLimit, LegacyRegion FROM Customers ORDER BY CustomerId",
		"2|Bob|2000.00|tin", "3|Cy|3000.00|gold")
	wantRows(t, admin, "SELECT CustomerId, LegacyOrderSystem, OrderId, OrderValue FROM Orders", "3|web|300|99.00")
	for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
		if l := dlqLines(t, root, sub); len(l) > 0 {
			t.Errorf("%s/ still has %v", sub, keysOf(localenv.DLQByKey(l)))
		}
	}
}
