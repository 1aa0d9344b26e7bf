package meta

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

var dbSeq atomic.Int64

// newTable creates a fresh metadata database of the given dialect on the
// emulator and an ensured table in it.
func newTable(t *testing.T, postgres bool) Table {
	t.Helper()
	emu := testenv.Spanner(t)
	ctx := context.Background()
	id := fmt.Sprintf("meta%d_%d", time.Now().UnixNano()%1e9, dbSeq.Add(1))
	path := testenv.CreateDatabase(t, emu, id, postgres, nil)
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	tbl := Table{Client: client, Name: "Metadata_test", Postgres: postgres}
	if err := tbl.Ensure(ctx, admin, path); err != nil {
		t.Fatal(err)
	}
	// A second Ensure finds both tables and does nothing.
	if err := tbl.Ensure(ctx, admin, path); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	return tbl
}

func dialects(t *testing.T, f func(t *testing.T, postgres bool)) {
	for _, pg := range []bool{false, true} {
		name := "GoogleSQL"
		if pg {
			name = "PostgreSQL"
		}
		t.Run(name, func(t *testing.T) { f(t, pg) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

func ns(d time.Duration) int64 { return t0.Add(d).UnixNano() }

func rowsByToken(t *testing.T, tbl Table) map[string]Row {
	t.Helper()
	rows, err := tbl.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Row{}
	for _, r := range rows {
		out[r.Token] = r
	}
	return out
}

func TestEnsureRejectsBadName(t *testing.T) {
	err := Table{Name: "bad-name"}.Ensure(context.Background(), nil, "db")
	if err == nil || !strings.Contains(err.Error(), "letters, digits and underscores") {
		t.Fatalf("Ensure(bad-name) = %v, want a naming error", err)
	}
}

func TestLaunchFirstThenResume(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		tbl := newTable(t, pg)
		id := Identity{Stream: "s", Start: t0, End: Unbounded}
		got, err := tbl.Launch(ctx, id, 500)
		if err != nil {
			t.Fatal(err)
		}
		if got.Resumed || !got.Applied.Equal(t0) {
			t.Errorf("first launch = %+v, want not resumed, applied at the start", got)
		}
		job, ok, err := tbl.Job(ctx)
		if err != nil || !ok {
			t.Fatalf("Job = %v, %v", ok, err)
		}
		if job.Stream != "s" || !job.Start.Equal(t0) || job.StartGiven || job.End != Unbounded || !job.Applied.Equal(t0) {
			t.Errorf("stored job = %+v", job)
		}
		root := rowsByToken(t, tbl)[RootToken]
		if root.State != StateCreated || root.Start != t0.UnixNano() || root.End != Unbounded || root.HeartbeatMillis != 500 {
			t.Errorf("root row = %+v", root)
		}

		// Relaunch with an empty start (a later launch time): resume.
		again, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0.Add(time.Hour), End: Unbounded}, 500)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Resumed || len(again.Reopened) != 1 || again.Reopened[0] != (Reopen{RootToken, t0.UnixNano()}) {
			t.Errorf("relaunch = %+v, want resumed with the root reopened at the start", again)
		}
		// And with the original start given explicitly.
		if _, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, StartGiven: true, End: Unbounded}, 500); err != nil {
			t.Errorf("relaunch with the original start: %v", err)
		}
	})
}

func TestLaunchConflicts(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		tbl := newTable(t, pg)
		end := ns(time.Hour)
		if _, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, StartGiven: true, End: end}, 500); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			id    Identity
			param string
		}{
			{"another stream", Identity{Stream: "other", Start: t0, End: end}, "changeStreamName"},
			{"another start", Identity{Stream: "s", Start: t0.Add(time.Second), StartGiven: true, End: end}, "startTimestamp"},
			{"another end", Identity{Stream: "s", Start: t0, End: end + 1}, "endTimestamp"},
			{"no end", Identity{Stream: "s", Start: t0, End: Unbounded}, "endTimestamp"},
		}
		for _, tc := range tests {
			_, err := tbl.Launch(ctx, tc.id, 500)
			var c *ConflictError
			if !errors.As(err, &c) || c.Param != tc.param {
				t.Errorf("%s: Launch = %v, want a conflict on %s", tc.name, err, tc.param)
				continue
			}
			for _, want := range []string{"spannerMetadataTableName", "To resume that job, relaunch with " + tc.param + "="} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error %q does not say %q", tc.name, err, want)
				}
			}
		}
		// A conflicting launch changed nothing.
		if job, _, _ := tbl.Job(ctx); job.Stream != "s" || job.End != end {
			t.Errorf("job after conflicts = %+v", job)
		}
	})
}

// TestLifecycle walks partitions through split and merge the way the
// readers do, with the merge's parents finishing concurrently and two
// schedulers racing, and checks the merged child is created and handed out
// once, only after both parents finished.
func TestLifecycle(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		tbl := newTable(t, pg)
		if _, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, End: Unbounded}, 500); err != nil {
			t.Fatal(err)
		}
		schedule := func(want ...string) {
			t.Helper()
			snap, err := tbl.Scan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Two schedulers race for the same ready partitions.
			var mu sync.Mutex
			var got []string
			var wg sync.WaitGroup
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					moved, err := tbl.Schedule(ctx, snap.Ready)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					defer mu.Unlock()
					for _, p := range moved {
						got = append(got, p.Token)
					}
				}()
			}
			wg.Wait()
			if fmt.Sprint(sortStrings(got)) != fmt.Sprint(want) {
				t.Fatalf("scheduled %v, want %v each once", got, want)
			}
		}
		schedule(RootToken)
		if prev, err := tbl.MarkRunning(ctx, Partition{Token: RootToken}); err != nil || prev != StateScheduled {
			t.Fatalf("MarkRunning = %v, %v; want it was SCHEDULED", prev, err)
		}
		if prev, err := tbl.MarkRunning(ctx, Partition{Token: RootToken}); err != nil || prev != StateRunning {
			t.Fatalf("second MarkRunning = %v, %v; want it was RUNNING", prev, err)
		}
		kids := []Partition{{Token: "a", Start: ns(0), End: Unbounded}, {Token: "b", Start: ns(0), End: Unbounded}}
		if err := tbl.Finish(ctx, Partition{Token: RootToken}, kids, ns(0)); err != nil {
			t.Fatal(err)
		}
		schedule("a", "b")
		merged := Partition{Token: "m", Parents: []string{"a", "b"}, Start: ns(time.Minute), End: Unbounded}
		if err := tbl.Finish(ctx, Partition{Token: "a"}, []Partition{merged}, ns(time.Minute)); err != nil {
			t.Fatal(err)
		}
		schedule() // m waits for b
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ { // b reports m twice, concurrently (a retried Finish)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := tbl.Finish(ctx, Partition{Token: "b"}, []Partition{merged}, ns(time.Minute)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		schedule("m")
		rows := rowsByToken(t, tbl)
		if len(rows) != 4 {
			t.Errorf("rows %v, want root, a, b, m", rows)
		}
		if m := rows["m"]; m.State != StateScheduled || m.Start != ns(time.Minute) || fmt.Sprint(m.Parents) != "[a b]" {
			t.Errorf("m = %+v", m)
		}
		if a := rows["a"]; a.State != StateFinished || a.Watermark != ns(time.Minute) {
			t.Errorf("a = %+v, want finished at its children's start", a)
		}
		// A finished partition is not reopened by a late reader.
		if prev, err := tbl.MarkRunning(ctx, Partition{Token: "a"}); err != nil || prev != StateFinished {
			t.Errorf("MarkRunning(finished a) = %v, %v; want finished", prev, err)
		}
		if finished, err := tbl.SetWatermark(ctx, Partition{Token: "a"}, t0.Add(time.Hour)); err != nil || !finished {
			t.Errorf("SetWatermark(finished a) = %v, %v; want finished", finished, err)
		}
		if a := rowsByToken(t, tbl)["a"]; a.State != StateFinished || a.Watermark != ns(time.Minute) {
			t.Errorf("a changed after it finished: %+v", a)
		}
		// The emulator's MIN() keeps microseconds only: a lower bound is
		// all that callers rely on.
		wm, ok, err := tbl.MinWatermark(ctx)
		if err != nil || !ok || wm.UnixNano() > ns(time.Minute) || wm.UnixNano() < ns(time.Minute)-1000 {
			t.Errorf("MinWatermark = %v, %v, %v; want m's start", wm, ok, err)
		}
	})
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// TestRelaunchRewindsToApplied: a job read ahead of what it applied, then
// stopped; the relaunch reads again everything after the applied watermark.
func TestRelaunchRewindsToApplied(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		tbl := newTable(t, pg)
		id := Identity{Stream: "s", Start: t0, StartGiven: true, End: Unbounded}
		if _, err := tbl.Launch(ctx, id, 500); err != nil {
			t.Fatal(err)
		}
		kids := []Partition{{Token: "a", Start: ns(0), End: Unbounded}, {Token: "b", Start: ns(0), End: Unbounded}}
		must(t, tbl.Finish(ctx, Partition{Token: RootToken}, kids, ns(0)))
		must(t, tbl.Finish(ctx, Partition{Token: "a"}, []Partition{{Token: "c", Parents: []string{"a"}, Start: ns(10 * time.Second), End: Unbounded}}, ns(10*time.Second)))
		must(t, tbl.Finish(ctx, Partition{Token: "b"}, []Partition{{Token: "d", Parents: []string{"b"}, Start: ns(40 * time.Second), End: Unbounded}}, ns(40*time.Second)))
		_, err := tbl.MarkRunning(ctx, Partition{Token: "c"})
		must(t, err)
		_, err = tbl.SetWatermark(ctx, Partition{Token: "c"}, t0.Add(55*time.Second)) // read ahead
		must(t, err)
		must(t, tbl.SaveApplied(ctx, t0.Add(30*time.Second), time.Hour))

		got, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, StartGiven: true, End: Unbounded}, 500)
		must(t, err)
		want := []Reopen{{"b", ns(30 * time.Second)}, {"c", ns(30 * time.Second)}, {"d", ns(40 * time.Second)}}
		if fmt.Sprint(got.Reopened) != fmt.Sprint(want) || !got.Applied.Equal(t0.Add(30*time.Second)) {
			t.Errorf("relaunch reopened %v at applied %v, want %v at +30s", got.Reopened, got.Applied, want)
		}
		snap, err := tbl.Scan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// b and c are ready (their parents finished long ago); d waits for b.
		var ready []string
		for _, p := range snap.Ready {
			ready = append(ready, fmt.Sprintf("%s@%d", p.Token, (p.Start-t0.UnixNano())/1e9))
		}
		if fmt.Sprint(sortStrings(ready)) != "[b@30 c@30]" || snap.Unfinished != 3 {
			t.Errorf("after relaunch: ready %v, unfinished %d; want [b@30 c@30], 3", ready, snap.Unfinished)
		}
		if r := rowsByToken(t, tbl)["a"]; r.State != StateFinished {
			t.Errorf("a ended before the applied watermark and should stay finished: %+v", r)
		}
	})
}

func TestSaveApplied(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		tbl := newTable(t, pg)
		if _, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, End: Unbounded}, 500); err != nil {
			t.Fatal(err)
		}
		kids := []Partition{{Token: "a", Start: ns(0), End: Unbounded}, {Token: "b", Start: ns(0), End: Unbounded}}
		must(t, tbl.Finish(ctx, Partition{Token: RootToken}, kids, ns(0)))
		must(t, tbl.Finish(ctx, Partition{Token: "a"}, []Partition{{Token: "c", Parents: []string{"a"}, Start: ns(time.Minute), End: Unbounded}}, ns(time.Minute)))
		must(t, tbl.Finish(ctx, Partition{Token: "b"}, []Partition{{Token: "d", Parents: []string{"b"}, Start: ns(3 * time.Hour), End: Unbounded}}, ns(3*time.Hour)))

		must(t, tbl.SaveApplied(ctx, t0.Add(2*time.Hour), time.Hour))
		must(t, tbl.SaveApplied(ctx, t0.Add(90*time.Minute), time.Hour)) // never moves back
		job, _, err := tbl.Job(ctx)
		if err != nil || !job.Applied.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("applied = %v (%v), want +2h", job.Applied, err)
		}
		// a ended at +1m, more than an hour before +2h: deleted. b ended
		// after the applied watermark, and the root is always kept.
		rows := rowsByToken(t, tbl)
		var toks []string
		for tok := range rows {
			toks = append(toks, tok)
		}
		if fmt.Sprint(sortStrings(toks)) != fmt.Sprint([]string{RootToken, "b", "c", "d"}) {
			t.Errorf("rows after clean-up: %v", toks)
		}
		// c's parent is gone, so c counts as ready.
		snap, err := tbl.Scan(ctx)
		if err != nil || len(snap.Ready) != 2 {
			t.Errorf("ready after clean-up = %+v, %v; want c and d", snap.Ready, err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestStaleScheduleIsHandedOutAgain: a partition left SCHEDULED (its
// scheduling committed but the scheduler never heard so) must not stall
// the job forever.
func TestStaleScheduleIsHandedOutAgain(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t, false)
	if _, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, End: Unbounded}, 500); err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Scan(ctx)
	must(t, err)
	moved, err := tbl.Schedule(ctx, snap.Ready)
	if err != nil || len(moved) != 1 {
		t.Fatalf("Schedule = %v, %v", moved, err)
	}
	if snap, _ = tbl.Scan(ctx); len(snap.Ready) != 0 {
		t.Fatalf("a freshly scheduled partition is ready again: %+v", snap.Ready)
	}
	// Pretend the scheduling happened long ago.
	must(t, tbl.apply(ctx, []*spanner.Mutation{spanner.Update(tbl.Name, []string{"PartitionToken", "ScheduledAt"},
		[]any{RootToken, time.Now().Add(-StaleSchedule - time.Minute)})}))
	snap, err = tbl.Scan(ctx)
	must(t, err)
	if len(snap.Ready) != 1 || snap.Ready[0].Token != RootToken {
		t.Fatalf("stale scheduled partition not ready: %+v", snap.Ready)
	}
	if moved, err = tbl.Schedule(ctx, snap.Ready); err != nil || len(moved) != 1 {
		t.Fatalf("Schedule of the stale partition = %v, %v", moved, err)
	}
	if snap, _ = tbl.Scan(ctx); len(snap.Ready) != 0 {
		t.Fatalf("rescheduled partition is ready again: %+v", snap.Ready)
	}
}
