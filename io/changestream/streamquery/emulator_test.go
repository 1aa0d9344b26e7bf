package streamquery_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
)

// TestStartOutsideRetentionIsExplained: the emulator rejects a start
// before the stream existed exactly as Spanner rejects one older than the
// retention period; the error must say what happened and what to do.
func TestStartOutsideRetentionIsExplained(t *testing.T) {
	emu := testenv.Spanner(t)
	id := fmt.Sprintf("sq%d", time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE T (K INT64 NOT NULL) PRIMARY KEY (K)",
		"CREATE CHANGE STREAM cs FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '1d')",
	})
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	start := time.Now().Add(-48 * time.Hour)
	err = streamquery.Query{Stream: "cs", Start: start, End: start, HeartbeatMillis: 1000}.Run(ctx, client, func(decode.Item) error { return nil })
	if err == nil {
		t.Fatal("a start two days back was accepted")
	}
	msg := streamquery.Explain(err).Error()
	for _, want := range []string{"outside the change stream's retention period", "later startTimestamp"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

// TestMissingStreamIsExplained: a query on a change stream the database
// does not have (wrong name, or dropped while a job ran) fails with the
// emulator's "Table-valued function not found: READ_<name>"; the error must
// name the stream and say it does not exist.
func TestMissingStreamIsExplained(t *testing.T) {
	emu := testenv.Spanner(t)
	id := fmt.Sprintf("sqm%d", time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, emu, id, false, []string{"CREATE TABLE T (K INT64 NOT NULL) PRIMARY KEY (K)"})
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	start := time.Now()
	err = streamquery.Query{Stream: "gone", Start: start, End: start, HeartbeatMillis: 1000}.Run(ctx, client, func(decode.Item) error { return nil })
	if err == nil {
		t.Fatal("a query on a change stream that does not exist succeeded")
	}
	if name, ok := streamquery.MissingStream(err); !ok || name != "gone" {
		t.Errorf("MissingStream(%v) = %q, %v; want gone, true", err, name, ok)
	}
	msg := streamquery.Explain(err).Error()
	if !strings.Contains(msg, "change stream gone does not exist") || !strings.Contains(msg, "changeStreamName") {
		t.Errorf("error %q does not say that change stream gone does not exist", msg)
	}
}
