package apply

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// outcomeCount is how many input records out accounts for.
func outcomeCount(out Outcome) int {
	return len(out.Applied) + len(out.Filtered) + out.Stale + out.Superseded + len(out.Failed)
}

// TestEveryRecordCountedOnceWhenRowsFailMapping: records that fail mapping
// (beside the shadow read), a record the target refuses (so that
// ApplyIsolating splits the mapped ones), a superseded and a stale change,
// and, on the Spanner side, a transaction aborted once: every input record
// is in the outcome exactly once, and the shadow rows hold what applied.
// A batch whose records all fail mapping fails them all, with no error.
func TestEveryRecordCountedOnceWhenRowsFailMapping(t *testing.T) {
	tooLong := `{"Name":"this name is far too long","ParentId":null}`
	for _, kind := range protocolKinds {
		t.Run(kind, func(t *testing.T) {
			f := newProtocolFixture(t, kind)
			ctx := context.Background()
			if out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(8, 5, 0, "h")}); err != nil || len(out.Applied) != 1 {
				t.Fatalf("setup: applied %d, err %v", len(out.Applied), err)
			}
			g := newGated(f.applier.Mapper.Values)
			f.applier.Mapper.Values = g
			var aborts atomic.Int32
			f.applier.Hooks.BeforeShadowRead = func(bool) error { g.release(); return nil }
			f.applier.Hooks.AfterShadowRead = func() error {
				g.release()
				if !strings.HasPrefix(kind, "source") && aborts.Add(1) == 1 {
					return status.Error(codes.Aborted, "test: transaction aborted")
				}
				return nil
			}
			batch := []record.Record{
				rec(1, 1, 0, "gated"),
				rec(2, 1, 0, "x"),     // fails mapping
				rec(3, 1, 0, "child"), // the target refuses it (no parent 42)
				rec(4, 1, 0, "d"),     // superseded
				rec(4, 2, 0, "d2"),    //
				rec(5, 1, 0, "e"),     //
				rec(5, 2, 0, "x"),     // newer, fails mapping
				rec(6, 1, 0, "x"),     // older, fails mapping
				rec(6, 2, 0, "f2"),    //
				rec(8, 1, 0, "old"),   // stale
				rec(7, 1, 0, "g"),     //
			}
			for _, i := range []int{1, 6, 7} {
				batch[i].Mod.NewValuesJSON = tooLong
			}
			batch[2].Mod.NewValuesJSON = `{"Name":"child","ParentId":"42"}`
			out, err := f.applier.ApplyIsolating(ctx, f.db, batch)
			if err != nil {
				t.Fatal(err)
			}
			if n := outcomeCount(out); n != len(batch) || len(out.Applied) != 5 || len(out.Failed) != 4 || out.Stale != 1 || out.Superseded != 1 {
				t.Errorf("outcome accounts for %d records of %d: applied %d, failed %d, stale %d, superseded %d; want 5, 4, 1, 1",
					n, len(batch), len(out.Applied), len(out.Failed), out.Stale, out.Superseded)
			}
			if !strings.HasPrefix(kind, "source") && aborts.Load() < 2 {
				t.Errorf("the Spanner closure ran %d times: the abort was not retried, the test proves less", aborts.Load())
			}
			want := map[int64]string{1: "gated", 4: "d2", 5: "e", 6: "f2", 7: "g", 8: "h"}
			got := f.rows(t)
			for id, name := range want {
				if got[id] != name {
					t.Errorf("row %d = %q, want %q (rows %v)", id, got[id], name, got)
				}
			}
			if len(got) != len(want) {
				t.Errorf("rows %v, want %v", got, want)
			}
			for id, sec := range map[int64]int64{1: 1, 2: -1, 3: -1, 4: 2, 5: 1, 6: 2, 7: 1, 8: 5} {
				if s := f.shadowSec(t, id); s != sec {
					t.Errorf("shadow version of key %d: %d, want %d", id, s, sec)
				}
			}
			// Every record fails mapping: all failed, no error, no version.
			all := []record.Record{rec(9, 1, 0, "x"), rec(10, 1, 0, "x")}
			for i := range all {
				all[i].Mod.NewValuesJSON = tooLong
			}
			for _, apply := range []func(context.Context, []record.Record) (Outcome, error){
				func(ctx context.Context, b []record.Record) (Outcome, error) { return f.applier.Apply(ctx, f.db, b) },
				func(ctx context.Context, b []record.Record) (Outcome, error) {
					return f.applier.ApplyIsolating(ctx, f.db, b)
				},
			} {
				out, err := apply(ctx, all)
				if err != nil || len(out.Failed) != 2 || outcomeCount(out) != 2 {
					t.Errorf("all unmapped: failed %d, counted %d, err %v; want 2, 2, nil", len(out.Failed), outcomeCount(out), err)
				}
			}
			for _, id := range []int64{9, 10} {
				if s := f.shadowSec(t, id); s != -1 {
					t.Errorf("shadow version of unmapped key %d: %d, want none", id, s)
				}
			}
			if n := f.db.Stats().InUse; n != 0 {
				t.Errorf("%d connections still in use", n)
			}
		})
	}
}
