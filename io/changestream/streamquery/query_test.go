package streamquery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

const fakeDB = "projects/p/instances/i/databases/d"

func startFake(t testing.TB, postgres bool) (*fakespanner.Server, *spanner.Client) {
	t.Helper()
	return startFakeWith(t, postgres, streamquery.ClientOptions()...)
}

func startFakeWith(t testing.TB, postgres bool, opts ...option.ClientOption) (*fakespanner.Server, *spanner.Client) {
	t.Helper()
	srv, err := fakespanner.Start()
	if err != nil {
		t.Fatal(err)
	}
	srv.Postgres = postgres
	t.Cleanup(srv.Close)
	client, err := spanner.NewClientWithConfig(context.Background(), fakeDB, spanner.ClientConfig{}, append(srv.ClientOptions(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return srv, client
}

var base = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// dataItem is a change of one row in transaction txn, spread (like a
// multi-partition transaction) over parts partitions.
func dataItem(at time.Duration, table string, key int, txn string, parts int64) decode.Item {
	return decode.Item{Data: &record.DataChangeRecord{
		PartitionToken: "p1", CommitTimestamp: record.FromTime(base.Add(at)), RecordSequence: "00000000",
		ServerTransactionID: txn, IsLastRecordInTransactionInPartition: true, TableName: table,
		ColumnTypes: []record.ColumnType{
			{Name: "Id", TypeJSON: `{"code":"INT64"}`, IsPrimaryKey: true, OrdinalPosition: 1},
			{Name: "Name", TypeJSON: `{"code":"STRING"}`, OrdinalPosition: 2},
		},
		Mods:    []record.ModJSON{{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, key), NewValuesJSON: `{"Name":"n"}`, OldValuesJSON: "{}"}},
		ModType: record.ModInsert, ValueCaptureType: "NEW_ROW", NumberOfRecordsInTransaction: parts,
		NumberOfPartitionsInTransaction: parts, TransactionTag: "txBy=fwd-job-1",
	}}
}

func collect(t *testing.T, client *spanner.Client, q streamquery.Query) ([]decode.Item, error) {
	t.Helper()
	var got []decode.Item
	err := q.Run(context.Background(), client, func(it decode.Item) error {
		got = append(got, it)
		return nil
	})
	return got, err
}

// TestRunThroughClient reads what the emulator cannot produce: transaction
// tags, nanosecond commit timestamps, a transaction spread over partitions,
// a merge announced with two parents, in both dialects.
func TestRunThroughClient(t *testing.T) {
	script := []decode.Item{
		dataItem(123456789*time.Nanosecond, "Orders", 1, "t1", 2),
		dataItem(123456789*time.Nanosecond, "Lines", 7, "t1", 2),
		{Heartbeat: base.Add(time.Second)},
		dataItem(1500*time.Millisecond+1, "Orders", 2, "t2", 1),
		{ChildrenStart: base.Add(2 * time.Second), Children: []decode.ChildPartition{{Token: "m", Parents: []string{"p1", "p2"}}}},
	}
	for _, pg := range []bool{false, true} {
		t.Run(fmt.Sprintf("postgres=%v", pg), func(t *testing.T) {
			srv, client := startFake(t, pg)
			srv.SetPartition("p1", script)
			got, err := collect(t, client, streamquery.Query{Stream: "s", Token: "p1", Start: base, End: base.Add(time.Hour), HeartbeatMillis: 1000, Postgres: pg})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(script, got); diff != "" {
				t.Errorf("(-served +read):\n%s", diff)
			}
			if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Token != "p1" || !reqs[0].Start.Equal(base) {
				t.Errorf("requests %+v", reqs)
			}
		})
	}
}

func TestRunWindow(t *testing.T) {
	srv, client := startFake(t, false)
	srv.SetPartition("", []decode.Item{{ChildrenStart: base, Children: []decode.ChildPartition{{Token: "a"}, {Token: "b"}}}})
	srv.SetPartition("p1", []decode.Item{dataItem(0, "T", 1, "t", 1), dataItem(time.Second, "T", 2, "t", 1), dataItem(3*time.Second, "T", 3, "t", 1)})
	// The initial query (no token) returns the first partitions.
	got, err := collect(t, client, streamquery.Query{Stream: "s", Start: base, End: base, HeartbeatMillis: 1000})
	if err != nil || len(got) != 1 || len(got[0].Children) != 2 {
		t.Fatalf("initial query: %+v, %v", got, err)
	}
	// A window that ends before the partition does: both ends inclusive,
	// and a last heartbeat at the end.
	got, err = collect(t, client, streamquery.Query{Stream: "s", Token: "p1", Start: base, End: base.Add(time.Second), HeartbeatMillis: 1000})
	if err != nil || len(got) != 3 || got[1].Data == nil || !got[2].Heartbeat.Equal(base.Add(time.Second)) {
		t.Fatalf("window: %+v, %v", got, err)
	}
}

// TestRunResumesUnavailableWithResumeToken: an UNAVAILABLE in the middle of
// a stream is resumed by the client itself from the last resume token;
// nothing is lost or repeated.
func TestRunResumesUnavailableWithResumeToken(t *testing.T) {
	srv, client := startFake(t, false)
	script := []decode.Item{dataItem(0, "T", 1, "t1", 1), dataItem(time.Second, "T", 2, "t2", 1), dataItem(2*time.Second, "T", 3, "t3", 1)}
	srv.SetPartition("p1", script)
	srv.AddFault("p1", fakespanner.Fault{After: 2, Code: codes.Unavailable})
	got, err := collect(t, client, streamquery.Query{Stream: "s", Token: "p1", Start: base, End: base.Add(time.Hour), HeartbeatMillis: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(script, got); diff != "" {
		t.Errorf("(-served +read):\n%s", diff)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].ResumeToken != "2" {
		t.Errorf("requests %+v, want a second one resuming after the second record", reqs)
	}
}

// TestRunSurfacesMidStreamErrors: errors the client does not resume reach
// the caller, after the records before them, and are classified.
func TestRunSurfacesMidStreamErrors(t *testing.T) {
	for _, code := range []codes.Code{codes.Aborted, codes.DeadlineExceeded, codes.Unavailable} {
		t.Run(code.String(), func(t *testing.T) {
			srv, client := startFake(t, false)
			// Without resume tokens the client cannot resume by itself.
			srv.NoResumeTokens = code == codes.Unavailable
			srv.SetPartition("p1", []decode.Item{dataItem(0, "T", 1, "t1", 1), dataItem(time.Second, "T", 2, "t2", 1)})
			for i := 0; i < 20; i++ {
				srv.AddFault("p1", fakespanner.Fault{After: 1, Code: code})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			var got []decode.Item
			err := streamquery.Query{Stream: "s", Token: "p1", Start: base, End: base.Add(time.Hour), HeartbeatMillis: 1000}.Run(ctx, client,
				func(it decode.Item) error { got = append(got, it); return nil })
			if err == nil {
				t.Fatalf("no error; read %d items", len(got))
			}
			if !streamquery.IsTransient(err) {
				t.Errorf("%v is not transient", err)
			}
		})
	}
}

func TestRunStopsOnCallbackError(t *testing.T) {
	srv, client := startFake(t, false)
	srv.SetPartition("p1", []decode.Item{dataItem(0, "T", 1, "t1", 1), dataItem(time.Second, "T", 2, "t2", 1)})
	stop := errors.New("stop")
	n := 0
	err := streamquery.Query{Stream: "s", Token: "p1", Start: base, End: base.Add(time.Hour), HeartbeatMillis: 1000}.Run(context.Background(), client,
		func(decode.Item) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Run = %v after %d items, want the callback's error after 1", err, n)
	}
}

func TestStatementQuotesNothingButIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		q    streamquery.Query
		want string
	}{
		{streamquery.Query{Stream: "orders_cs"}, "READ_orders_cs(start_timestamp => @start"},
		{streamquery.Query{Stream: "orders_cs", Postgres: true}, `"spanner"."read_json_orders_cs"($1, $2, $3, $4, null)`},
		{streamquery.Query{Stream: "x; DROP TABLE y"}, "READ_invalid_stream_name("},
	} {
		st := tc.q.Statement()
		if !strings.Contains(st.SQL, tc.want) {
			t.Errorf("Statement(%q) = %s, want it to contain %s", tc.q.Stream, st.SQL, tc.want)
		}
		for name, v := range st.Params {
			if (name == "token" || name == "p3") && v != nil {
				t.Errorf("the initial query must send a NULL token, got %v", v)
			}
		}
	}
}

func TestIsTransient(t *testing.T) {
	for code, want := range map[codes.Code]bool{
		codes.Unavailable: true, codes.Aborted: true, codes.DeadlineExceeded: true, codes.ResourceExhausted: true,
		codes.Internal: true, codes.OutOfRange: false, codes.InvalidArgument: false, codes.PermissionDenied: false, codes.NotFound: false,
	} {
		if got := streamquery.IsTransient(status.Error(code, "x")); got != want {
			t.Errorf("IsTransient(%s) = %v, want %v", code, got, want)
		}
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		msg  string
		want []string
	}{
		{"Specified start_timestamp is too far in the past", []string{"retention period", "later startTimestamp", "too far in the past"}},
		{"This partition is no longer valid", []string{"expired", "re-seed MySQL", "spannerMetadataTableName"}},
		{"Specified start_timestamp is invalid for the partition", []string{"outside the partition's lifetime"}},
	}
	for _, tc := range tests {
		err := streamquery.Explain(status.Error(codes.OutOfRange, tc.msg))
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Explain(%q) = %q, want it to mention %q", tc.msg, err, w)
			}
		}
		if spanner.ErrCode(err) != codes.OutOfRange {
			t.Errorf("Explain dropped the error code: %v", err)
		}
	}
	plain := status.Error(codes.Unavailable, "x")
	if streamquery.Explain(plain) != plain {
		t.Error("Explain changed an error it has nothing to add to")
	}
}

func TestBackoff(t *testing.T) {
	b := streamquery.Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i, w := range want {
		if got := b.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := streamquery.DefaultBackoff.Delay(1000); got != 30*time.Second {
		t.Errorf("DefaultBackoff.Delay(1000) = %v, want the 30s cap", got)
	}
}
