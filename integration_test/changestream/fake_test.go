package changestream_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.Function1x1[record.DataChangeRecord, int64](appliedMarker)
}

// appliedMarker stands in for the writer: one marker per record.
func appliedMarker(record.DataChangeRecord) int64 { return 1 }

// fakeRecord is a change in transaction txn of a table with two columns;
// what the emulator cannot produce is set: nanoseconds, a transaction tag,
// a transaction spread over partitions.
func fakeRecord(token string, at time.Time, txn string, key int) *record.DataChangeRecord {
	return &record.DataChangeRecord{
		PartitionToken: token, CommitTimestamp: record.FromTime(at), RecordSequence: "00000002",
		ServerTransactionID: txn, IsLastRecordInTransactionInPartition: true, TableName: "Orders",
		ColumnTypes: []record.ColumnType{
			{Name: "Id", TypeJSON: `{"code":"INT64"}`, IsPrimaryKey: true, OrdinalPosition: 1},
			{Name: "Note", TypeJSON: `{"code":"STRING"}`, OrdinalPosition: 2},
		},
		Mods:    []record.ModJSON{{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, key), NewValuesJSON: `{"Note":"n"}`, OldValuesJSON: "{}"}},
		ModType: record.ModUpdate, ValueCaptureType: "NEW_ROW", NumberOfRecordsInTransaction: 2,
		NumberOfPartitionsInTransaction: 2, TransactionTag: "txBy=fwd-" + txn, IsSystemTransaction: key%2 == 0,
	}
}

// TestFakeStreamReader runs the source over a scripted partition tree on
// the fake server: root -> a, b; a and b merge into m; m runs to the end.
// Partition b fails with ABORTED in the middle of its stream and then
// several times in a row. It checks that every record arrives intact
// (nanoseconds, tags, transactions spread over partitions), that b resumes
// from its last claimed position with growing pauses, that the merged m is
// read once, and that the applied watermark stored while b is stuck never
// passes b's unread records, although a has read far ahead.
func TestFakeStreamReader(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	srv, err := fakespanner.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	// The stream runs into the near future, as a live one does: each query
	// window ends a second after the wall clock, so partition a is read in
	// many windows, checkpointing at ever later positions, while b is
	// stuck.
	t0 := time.Now().Add(-2 * time.Second).Truncate(time.Millisecond)
	end := t0.Add(14 * time.Second)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	var want []*record.DataChangeRecord
	script := func(token string, items ...decode.Item) {
		for _, it := range items {
			if it.Data != nil {
				want = append(want, it.Data)
			}
		}
		srv.SetPartition(token, items)
	}
	merge := decode.Item{ChildrenStart: at(11 * time.Second), Children: []decode.ChildPartition{{Token: "m", Parents: []string{"a", "b"}}}}
	script("", decode.Item{ChildrenStart: t0, Children: []decode.ChildPartition{{Token: "a"}, {Token: "b"}}})
	var aItems, bItems []decode.Item
	for i := 1; i <= 10; i++ {
		aItems = append(aItems, decode.Item{Data: fakeRecord("a", at(time.Duration(i)*time.Second+123456789), fmt.Sprint("t", i), i)})
		if i <= 5 {
			bItems = append(bItems, decode.Item{Data: fakeRecord("b", at(time.Duration(i)*time.Second/4+123456789), fmt.Sprint("t", i), 100+i)})
		}
	}
	bItems = append(bItems, decode.Item{Heartbeat: at(10 * time.Second)})
	script("a", append(aItems, merge)...)
	script("b", append(bItems, merge)...)
	script("m", decode.Item{Data: fakeRecord("m", at(12*time.Second+1), "t12", 12)}, decode.Item{Heartbeat: end})
	// b breaks after two records, then fails five times more in a row.
	srv.AddFault("b", fakespanner.Fault{After: 2, Code: codes.Aborted})
	for i := 0; i < 5; i++ {
		srv.AddFault("b", fakespanner.Fault{After: 0, Code: codes.Aborted})
	}
	bStuckAt := bItems[1].Data.CommitTimestamp.Time()

	metaID := uniqueID("fakemeta")
	testenv.CreateDatabase(t, emu, metaID, false, nil)
	cfg := changestream.Config{
		Database: "projects/p/instances/i/databases/d", Stream: "s", DataEndpoint: srv.Addr,
		MetadataDatabase: emu.DatabasePath(metaID), MetadataTable: "Metadata_fake",
		HeartbeatMillis: 1000, QueryWindowMillis: 1000, PollMillis: 100, EndNanos: end.UnixNano(), ProgressMillis: 100,
	}
	launch(t, &cfg, t0, true)
	tbl := metaTable(t, cfg)

	// Watch the applied watermark while the job runs.
	type sample struct{ at, applied time.Time }
	var samples []sample
	var mu sync.Mutex
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if j, ok, err := tbl.Job(ctx); err == nil && ok {
				mu.Lock()
				samples = append(samples, sample{time.Now(), j.Applied})
				mu.Unlock()
			}
		}
	}()
	run := uniqueID("fake")
	p, s := beam.NewPipelineWithRoot()
	recs := changestream.Read(s, cfg)
	beam.ParDo0(s, &collectFn{Run: run}, recs)
	changestream.TrackApplied(s, cfg, beam.ParDo(s, appliedMarker, recs))
	res, err := ptest.RunWithMetrics(p)
	close(stop)
	<-watched
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}

	// Every record, intact, once.
	got := takeCollected(run)
	sort.Slice(got, func(i, j int) bool {
		if c := got[i].CommitTimestamp.Compare(got[j].CommitTimestamp); c != 0 {
			return c < 0
		}
		return got[i].PartitionToken < got[j].PartitionToken
	})
	var wantSorted []record.DataChangeRecord
	for _, w := range want {
		wantSorted = append(wantSorted, *w)
	}
	sort.Slice(wantSorted, func(i, j int) bool {
		if c := wantSorted[i].CommitTimestamp.Compare(wantSorted[j].CommitTimestamp); c != 0 {
			return c < 0
		}
		return wantSorted[i].PartitionToken < wantSorted[j].PartitionToken
	})
	// b's second record comes twice: the retry starts at its position.
	dedup := got[:0]
	for i, r := range got {
		if i > 0 && cmp.Equal(r, got[i-1]) {
			continue
		}
		dedup = append(dedup, r)
	}
	if diff := cmp.Diff(wantSorted, dedup); diff != "" {
		t.Errorf("records (-scripted +emitted):\n%s", diff)
	}
	if len(got)-len(dedup) > 1 {
		t.Errorf("%d records emitted twice, want at most b's record at the resume position", len(got)-len(dedup))
	}

	// b resumed from its last claimed position, with growing pauses.
	var bReqs []fakespanner.Request
	for _, r := range srv.Requests() {
		if r.Token == "b" {
			bReqs = append(bReqs, r)
			if len(bReqs) == 7 {
				break // later windows of b
			}
		}
	}
	if len(bReqs) != 7 {
		t.Fatalf("b was queried %d times, want at least 7 (1 + 6 retries)", len(bReqs))
	}
	for i, r := range bReqs[1:] {
		if !r.Start.Equal(bStuckAt) {
			t.Errorf("retry %d of b started at %v, want its last claimed position %v", i+1, r.Start, bStuckAt)
		}
		// Pauses can only come out longer than asked, never shorter.
		pause, want := r.At.Sub(bReqs[i].At), streamquery.DefaultBackoff.Delay(i+1)
		if pause < want-10*time.Millisecond {
			t.Errorf("pause before retry %d of b was %v, want at least %v (exponential backoff)", i+1, pause, want)
		}
	}
	// The merged partition, announced by both parents, was read once:
	// its windows follow each other.
	var mStarts []time.Time
	for _, r := range srv.Requests() {
		if r.Token == "m" {
			mStarts = append(mStarts, r.Start)
		}
	}
	for i := 1; i < len(mStarts); i++ {
		if !mStarts[i].After(mStarts[i-1]) {
			t.Errorf("m was read twice: windows starting at %v", mStarts)
			break
		}
	}
	if n := counter(res, "partitions_started"); n != 4 {
		t.Errorf("%d partition reads started, want 4 (root, a, b, m)", n)
	}
	if n := counter(res, "transient_errors"); n != 6 {
		t.Errorf("%d transient errors counted, want 6", n)
	}

	// While b was stuck, the applied watermark stayed behind b's unread
	// records, though a was read to its end meanwhile.
	bDone := bReqs[len(bReqs)-1].At
	mu.Lock()
	defer mu.Unlock()
	var during int
	for _, smp := range samples {
		if smp.at.Before(bDone) {
			during++
			if smp.applied.After(bStuckAt) {
				t.Errorf("at %v, while b was stuck at %v, the applied watermark was %v", smp.at, bStuckAt, smp.applied)
				break
			}
		}
	}
	if during == 0 {
		t.Error("no applied watermark sample taken while b was stuck")
	}
	if j, _, err := tbl.Job(ctx); err != nil || !j.Applied.Equal(end.Add(time.Millisecond)) {
		t.Errorf("final applied watermark %v (%v), want just past the end %v", j.Applied, err, end)
	}
	rows, err := tbl.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.State != meta.StateFinished {
			t.Errorf("partition %s is %s", r.Token, r.State)
		}
	}
}
