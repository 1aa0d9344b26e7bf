package transforms

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
)

// fakeTimers holds deleteConsumedFn's expiry timer for one key: set (and
// when), or cleared.
type fakeTimers struct {
	set  bool
	fire mtime.Time
}

func (p *fakeTimers) Set(t timers.TimerMap) {
	if t.Clear {
		p.set = false
		return
	}
	p.set, p.fire = true, t.FireTimestamp
}

// Under at-least-once delivery a Done report (or the announcement) of a
// read may arrive after the read completed and its state was cleared. It
// starts a new tally that can never complete: the expiry timer must be
// armed so that the state does not stay for ever, and firing it clears it.
func TestLateDuplicateLeavesNoState(t *testing.T) {
	for _, late := range []FileCount{{Done: []int64{1}}, {Announced: true, Expected: 2}} {
		file := filepath.Join(t.TempDir(), "error-1.json")
		if err := os.WriteFile(file, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if late.Announced {
			late.Path = file
		}
		fn := &deleteConsumedFn{Tally: state.MakeValueState[readTally]("Tally"), Expire: timers.InEventTime("Expire")}
		sp, tp := &fakeValueState{}, &fakeTimers{}
		for i, c := range []FileCount{{Path: file, Announced: true, Expected: 2}, {Done: []int64{0}}, {Done: []int64{1}}} {
			if err := fn.ProcessElement(context.Background(), sp, tp, "read1", c); err != nil {
				t.Fatal(err)
			}
			if i < 2 && !tp.set {
				t.Fatalf("after report %d the read is incomplete and no expiry timer is set", i)
			}
		}
		if sp.val != nil || tp.set {
			t.Fatalf("completed read left state %+v, timer set %v", sp.val, tp.set)
		}
		before := time.Now()
		if err := fn.ProcessElement(context.Background(), sp, tp, "read1", late); err != nil {
			t.Fatal(err)
		}
		if sp.val == nil {
			continue
		}
		if !tp.set {
			t.Errorf("late duplicate %+v left state %+v and no timer to clear it", late, sp.val)
			continue
		}
		if got := tp.fire.ToTime(); got.Before(before.Add(tallyTTL).Truncate(time.Millisecond)) {
			t.Errorf("expiry timer fires at %v, before a day after the last report", got)
		}
		if err := fn.OnTimer(context.Background(), sp, tp, "read1", timers.Context{Family: "Expire"}); err != nil {
			t.Fatal(err)
		}
		if sp.val != nil {
			t.Errorf("expiry left state %+v", sp.val)
		}
	}
}

// Expiring the tally of a read that did not complete keeps its file: it
// is read again later (duplicates at worst), never lost.
func TestExpiredIncompleteReadKeepsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "error-1.json")
	if err := os.WriteFile(file, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fn := &deleteConsumedFn{Tally: state.MakeValueState[readTally]("Tally"), Expire: timers.InEventTime("Expire")}
	sp, tp := &fakeValueState{}, &fakeTimers{}
	for _, c := range []FileCount{{Path: file, Announced: true, Expected: 2}, {Done: []int64{0}}} {
		if err := fn.ProcessElement(context.Background(), sp, tp, "read1", c); err != nil {
			t.Fatal(err)
		}
	}
	if err := fn.OnTimer(context.Background(), sp, tp, "read1", timers.Context{Family: "Expire"}); err != nil {
		t.Fatal(err)
	}
	if sp.val != nil {
		t.Errorf("expiry left state %+v", sp.val)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the file of an incomplete read is gone after expiry: %v", err)
	}
	// The last record's report arriving after all cannot delete the file:
	// only a new read (a new name, a new tally) can.
	if err := fn.ProcessElement(context.Background(), sp, tp, "read1", FileCount{Done: []int64{1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("a report after expiry deleted the file: %v", err)
	}
}
