package meta

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// tableState is everything a write of partition state could change.
func tableState(t *testing.T, tbl Table) string {
	t.Helper()
	rows, err := tbl.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	job, _, err := tbl.Job(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var scheduled []string
	err = tbl.Client.Single().Query(context.Background(), tbl.stmt(fmt.Sprintf(
		"SELECT `PartitionToken`, `ScheduledAt`, `RunningAt`, `FinishedAt` FROM `%s` ORDER BY `PartitionToken`", tbl.Name))).Do(
		func(r *spanner.Row) error {
			var tok string
			var s, ru, f spanner.NullTime
			if err := r.Columns(&tok, &s, &ru, &f); err != nil {
				return err
			}
			scheduled = append(scheduled, fmt.Sprint(tok, s, ru, f))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("rows %+v\ntimes %v\njob %+v", rows, scheduled, job)
}

// wantSuperseded checks that err is the typed error of generation old
// superseded by generation now.
func wantSuperseded(t *testing.T, what string, err error, old, now int64) {
	t.Helper()
	var s *SupersededError
	if !errors.As(err, &s) || !IsSuperseded(err) {
		t.Errorf("%s by a superseded job = %v, want a *SupersededError", what, err)
		return
	}
	if s.Generation != old || s.Current != now || s.LaunchedAt.IsZero() {
		t.Errorf("%s: %+v, want generation %d superseded by %d with its launch time", what, s, old, now)
	}
	if want := fmt.Sprintf("superseded by generation %d, launched at ", now); !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %q does not say %q", what, err, want)
	}
}

// TestSupersededWritesChangeNothing: once a second launch has taken the
// table, every write of partition state by the first job (scheduling a
// partition, marking it running, moving its watermark, finishing it,
// storing the applied watermark) fails with *SupersededError and leaves
// the table exactly as the second launch left it, while the second job's
// writes go through.
func TestSupersededWritesChangeNothing(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		tbl := newTable(t, pg)
		id := Identity{Stream: "s", Start: t0, StartGiven: true, End: Unbounded}
		first, err := tbl.Launch(ctx, id, 500)
		must(t, err)
		if first.Generation != 1 || tbl.Generation != 1 {
			t.Fatalf("first launch: generation %d, table handle %d; want 1", first.Generation, tbl.Generation)
		}
		// The first job splits the root into a and b, and reads a.
		kids := []Partition{{Token: "a", Start: ns(0), End: Unbounded}, {Token: "b", Start: ns(0), End: Unbounded}}
		must(t, tbl.Finish(ctx, Partition{Token: RootToken}, kids, ns(0)))
		_, err = tbl.MarkRunning(ctx, Partition{Token: "a"})
		must(t, err)
		_, err = tbl.SetWatermark(ctx, Partition{Token: "a"}, t0.Add(10*time.Second))
		must(t, err)
		must(t, tbl.SaveApplied(ctx, t0.Add(5*time.Second), time.Hour))

		old := tbl // the first job's handle
		second, err := tbl.Launch(ctx, id, 500)
		must(t, err)
		if second.Generation != 2 || tbl.Generation != 2 || old.Generation != 1 {
			t.Fatalf("relaunch: generation %d, handles %d and %d; want 2 and the old one 1", second.Generation, tbl.Generation, old.Generation)
		}
		before := tableState(t, tbl)
		snap, err := tbl.Scan(ctx)
		must(t, err)
		if len(snap.Ready) != 2 {
			t.Fatalf("after the relaunch, ready %+v; want a and b", snap.Ready)
		}

		moved, err := old.Schedule(ctx, snap.Ready)
		wantSuperseded(t, "Schedule", err, 1, 2)
		if len(moved) != 0 {
			t.Errorf("Schedule by a superseded job handed out %+v", moved)
		}
		_, err = old.MarkRunning(ctx, Partition{Token: "b"})
		wantSuperseded(t, "MarkRunning", err, 1, 2)
		_, err = old.SetWatermark(ctx, Partition{Token: "a"}, t0.Add(time.Hour))
		wantSuperseded(t, "SetWatermark", err, 1, 2)
		err = old.Finish(ctx, Partition{Token: "a"}, []Partition{{Token: "c", Parents: []string{"a"}, Start: ns(time.Hour), End: Unbounded}}, ns(time.Hour))
		wantSuperseded(t, "Finish", err, 1, 2)
		err = old.SaveApplied(ctx, t0.Add(time.Hour), time.Hour)
		wantSuperseded(t, "SaveApplied", err, 1, 2)
		if after := tableState(t, tbl); after != before {
			t.Errorf("a superseded job changed the table:\nbefore %s\nafter  %s", before, after)
		}

		// The second job goes on as usual.
		moved, err = tbl.Schedule(ctx, snap.Ready)
		if err != nil || len(moved) != 2 {
			t.Fatalf("Schedule by the current job = %+v, %v", moved, err)
		}
		_, err = tbl.SetWatermark(ctx, Partition{Token: "a"}, t0.Add(20*time.Second))
		must(t, err)
		must(t, tbl.SaveApplied(ctx, t0.Add(15*time.Second), time.Hour))
		if a := rowsByToken(t, tbl)["a"]; a.Watermark != ns(20*time.Second) {
			t.Errorf("a = %+v, want the current job's watermark", a)
		}
	})
}

// TestNeverLaunchedHandleIsSuperseded: a handle that did not come from a
// launch (generation 0) cannot write to a launched table.
func TestNeverLaunchedHandleIsSuperseded(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t, false)
	stray := tbl
	_, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, End: Unbounded}, 500)
	must(t, err)
	_, err = stray.MarkRunning(ctx, Partition{Token: RootToken})
	wantSuperseded(t, "MarkRunning", err, 0, 1)
}

// oldJobDDL is the job table as the version before fencing made it.
const oldJobDDL = "CREATE TABLE `%s` (JobKey STRING(MAX) NOT NULL, StreamName STRING(MAX) NOT NULL, " +
	"StartTimestamp TIMESTAMP NOT NULL, StartGiven BOOL NOT NULL, EndTimestamp TIMESTAMP NOT NULL, " +
	"AppliedWatermark TIMESTAMP NOT NULL, CreatedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp=true), " +
	"UpdatedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp=true)) PRIMARY KEY (JobKey)"

const oldJobDDLPostgres = `CREATE TABLE "%s" ("JobKey" text NOT NULL, "StreamName" text NOT NULL,
  "StartTimestamp" timestamptz NOT NULL, "StartGiven" boolean NOT NULL, "EndTimestamp" timestamptz NOT NULL,
  "AppliedWatermark" timestamptz NOT NULL, "CreatedAt" spanner.commit_timestamp NOT NULL,
  "UpdatedAt" spanner.commit_timestamp NOT NULL, PRIMARY KEY ("JobKey"))`

// TestRelaunchOnTableOfPreviousVersion: a metadata table made and used by
// the version before fencing (a job table without Generation, holding a
// job's row and progress) is upgraded by Ensure; the relaunch resumes the
// job from its applied watermark and takes generation 1, and writes from
// a handle of no generation are refused from then on.
func TestRelaunchOnTableOfPreviousVersion(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		emu := testenv.Spanner(t)
		id := fmt.Sprintf("oldmeta%d_%d", time.Now().UnixNano()%1e9, dbSeq.Add(1))
		name := "Metadata_old"
		ddl := []string{fmt.Sprintf(partitionDDL, name), fmt.Sprintf(oldJobDDL, name+jobSuffix)}
		if pg {
			ddl = []string{fmt.Sprintf(partitionDDLPostgres, name), fmt.Sprintf(oldJobDDLPostgres, name+jobSuffix)}
		}
		path := testenv.CreateDatabase(t, emu, id, pg, nil)
		admin, err := database.NewDatabaseAdminClient(ctx)
		must(t, err)
		defer admin.Close()
		op, err := admin.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: path, Statements: ddl})
		must(t, err)
		must(t, op.Wait(ctx))
		client, err := spanner.NewClient(ctx, path)
		must(t, err)
		defer client.Close()
		tbl := Table{Client: client, Name: name, Postgres: pg}
		// What the previous version stored: the job, the root finished
		// into a, a read ahead of the applied watermark.
		job := Job{Identity: Identity{Stream: "s", Start: t0, StartGiven: true, End: Unbounded}, Applied: t0.Add(30 * time.Second)}
		root := Partition{Token: RootToken, Start: ns(0), End: Unbounded, HeartbeatMillis: 500}
		a := Partition{Token: "a", Parents: []string{RootToken}, Start: ns(0), End: Unbounded, HeartbeatMillis: 500}
		must(t, tbl.apply(ctx, []*spanner.Mutation{
			spanner.Insert(name+jobSuffix, append(jobColumns, "CreatedAt"),
				[]any{jobKey, job.Stream, job.Start, job.StartGiven, nanosTime(job.End), job.Applied, spanner.CommitTimestamp, spanner.CommitTimestamp}),
			tbl.insert(root), tbl.insert(a),
			spanner.Update(name, []string{"PartitionToken", "State", "Watermark"}, []any{RootToken, StateFinished, nanosTime(ns(0))}),
			spanner.Update(name, []string{"PartitionToken", "State", "Watermark"}, []any{"a", StateRunning, nanosTime(ns(time.Minute))}),
		}))

		must(t, tbl.Ensure(ctx, admin, path))
		must(t, tbl.Ensure(ctx, admin, path)) // nothing left to add
		stray := tbl
		got, err := tbl.Launch(ctx, job.Identity, 500)
		must(t, err)
		if !got.Resumed || got.Generation != 1 || !got.Applied.Equal(job.Applied) ||
			fmt.Sprint(got.Reopened) != fmt.Sprint([]Reopen{{"a", ns(30 * time.Second)}}) {
			t.Errorf("relaunch on the old table = %+v; want generation 1 resuming a from +30s", got)
		}
		_, err = stray.SetWatermark(ctx, Partition{Token: "a"}, t0.Add(time.Hour))
		wantSuperseded(t, "SetWatermark", err, 0, 1)
		_, err = tbl.SetWatermark(ctx, Partition{Token: "a"}, t0.Add(40*time.Second))
		must(t, err)
	})
}

// TestStaleReaderLeavesPartition: a partition handed out, then handed out
// again after StaleSchedule because its first reader was slow to start,
// is moved only by the second reader. The first reader's writes (start,
// position, finish), before or after the second reader started, fail with
// ErrHandedOver and change nothing; without the ticket check, the first
// reader would find the partition RUNNING and read it alongside the second.
func TestStaleReaderLeavesPartition(t *testing.T) {
	dialects(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		tbl := newTable(t, pg)
		_, err := tbl.Launch(ctx, Identity{Stream: "s", Start: t0, End: Unbounded}, 500)
		must(t, err)
		kids := []Partition{{Token: "a", Start: ns(0), End: Unbounded}}
		must(t, tbl.Finish(ctx, Partition{Token: RootToken}, kids, ns(0)))
		snap, err := tbl.Scan(ctx)
		must(t, err)
		first, err := tbl.Schedule(ctx, snap.Ready)
		if err != nil || len(first) != 1 || first[0].Ticket == 0 {
			t.Fatalf("Schedule = %+v, %v; want a with a ticket", first, err)
		}
		// Pretend that scheduling happened long ago, and its reader has
		// not started yet.
		long := time.Now().Add(-StaleSchedule - time.Minute).Truncate(time.Microsecond)
		must(t, tbl.apply(ctx, []*spanner.Mutation{spanner.Update(tbl.Name, []string{"PartitionToken", "ScheduledAt"}, []any{"a", long})}))
		slow := first[0]
		slow.Ticket = long.UnixNano()

		snap, err = tbl.Scan(ctx)
		must(t, err)
		second, err := tbl.Schedule(ctx, snap.Ready)
		if err != nil || len(second) != 1 || second[0].Ticket == slow.Ticket {
			t.Fatalf("second Schedule = %+v, %v; want a with a new ticket", second, err)
		}
		handedOver := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ErrHandedOver) {
				t.Errorf("%s by the first reader = %v, want ErrHandedOver", what, err)
			}
		}
		before := tableState(t, tbl)
		_, err = tbl.MarkRunning(ctx, slow)
		handedOver("MarkRunning before the second reader started", err)
		if after := tableState(t, tbl); after != before {
			t.Errorf("the first reader changed the table:\nbefore %s\nafter  %s", before, after)
		}

		if prev, err := tbl.MarkRunning(ctx, second[0]); err != nil || prev != StateScheduled {
			t.Fatalf("MarkRunning by the second reader = %v, %v; want it was SCHEDULED", prev, err)
		}
		_, err = tbl.SetWatermark(ctx, second[0], t0.Add(10*time.Second))
		must(t, err)
		before = tableState(t, tbl)
		_, err = tbl.MarkRunning(ctx, slow)
		handedOver("MarkRunning after the second reader started", err)
		_, err = tbl.SetWatermark(ctx, slow, t0.Add(time.Hour))
		handedOver("SetWatermark", err)
		err = tbl.Finish(ctx, slow, []Partition{{Token: "c", Parents: []string{"a"}, Start: ns(time.Hour), End: Unbounded}}, ns(time.Hour))
		handedOver("Finish", err)
		if after := tableState(t, tbl); after != before {
			t.Errorf("the first reader changed the table:\nbefore %s\nafter  %s", before, after)
		}
		must(t, tbl.Finish(ctx, second[0], nil, ns(20*time.Second)))
		if a := rowsByToken(t, tbl)["a"]; a.State != StateFinished || a.Watermark != ns(20*time.Second) {
			t.Errorf("a = %+v, want finished by the second reader", a)
		}
	})
}

// TestPreviewTakesNothingAndCommitTakesIt: a launch checks against a
// Preview, which writes nothing (a running job keeps the table), and takes
// the table with Commit as exactly the previewed generation; a Commit after
// another launch took the table in between fails with *TakenError and
// changes nothing.
func TestPreviewTakesNothingAndCommitTakesIt(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t, false)
	id := Identity{Stream: "s", Start: t0, StartGiven: true, End: Unbounded}
	running, err := tbl.Launch(ctx, id, 500)
	must(t, err)
	before := tableState(t, tbl)

	preview, err := tbl.Preview(ctx, id, 500)
	must(t, err)
	if preview.Generation != running.Generation+1 || !preview.Resumed {
		t.Fatalf("preview %+v, want a resume as generation %d", preview, running.Generation+1)
	}
	if after := tableState(t, tbl); after != before {
		t.Errorf("Preview changed the table:\nbefore %s\nafter  %s", before, after)
	}
	must(t, tbl.CheckGeneration(ctx)) // the running job still holds it

	// Another launch comes in between: the commit must not take over.
	other := tbl
	_, err = other.Launch(ctx, id, 500)
	must(t, err)
	between := tableState(t, tbl)
	late := Table{Client: tbl.Client, Name: tbl.Name}
	var taken *TakenError
	if _, err := late.Commit(ctx, id, 500, preview); !errors.As(err, &taken) {
		t.Fatalf("Commit after another launch = %v, want *TakenError", err)
	}
	if after := tableState(t, tbl); after != between {
		t.Errorf("a refused Commit changed the table:\nbefore %s\nafter  %s", between, after)
	}

	// A fresh preview commits as its generation, and the job it superseded
	// is told so.
	preview, err = late.Preview(ctx, id, 500)
	must(t, err)
	got, err := late.Commit(ctx, id, 500, preview)
	must(t, err)
	if got.Generation != preview.Generation || late.Generation != preview.Generation {
		t.Errorf("Commit took generation %d (handle %d), want the previewed %d", got.Generation, late.Generation, preview.Generation)
	}
	wantSuperseded(t, "CheckGeneration", other.CheckGeneration(ctx), other.Generation, preview.Generation)
}
