package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// preparedBatch is n changes of Orders, change i of key i; every badEvery-th
// key is not an integer, so that change fails to prepare.
func preparedBatch(n, badEvery int) []record.Record {
	batch := make([]record.Record, n)
	for i := range batch {
		r := orderRec("INSERT", fmt.Sprintf(`{"OrderNo":"A-%d","Label":"x"}`, i))
		r.Mod.KeysJSON = fmt.Sprintf(`{"Id":"%d"}`, i)
		if badEvery > 0 && i%badEvery == 0 {
			r.Mod.KeysJSON = fmt.Sprintf(`{"Id":"bad-%d"}`, i)
		}
		batch[i] = r
	}
	return batch
}

// TestPrepareAllKeepsTheBatchOrder: a batch large enough to be prepared by
// several goroutines comes back in its own order, the prepared records and
// the failures alike, whatever the batch size.
func TestPrepareAllKeepsTheBatchOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	a := ordersApplier(nil)
	for _, n := range []int{1, minPerPreparer - 1, 2 * minPerPreparer, 300, 1001} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			batch := preparedBatch(n, 7)
			ps, failed, err := a.prepareAll(context.Background(), batch).wait()
			if err != nil {
				t.Fatal(err)
			}
			if len(ps)+len(failed) != n {
				t.Fatalf("%d prepared + %d failed, want %d in all", len(ps), len(failed), n)
			}
			var wantOK, wantBad []string
			for i, r := range batch {
				if i%7 == 0 {
					wantBad = append(wantBad, r.Mod.KeysJSON)
				} else {
					wantOK = append(wantOK, r.Mod.KeysJSON)
				}
			}
			for i, p := range ps {
				// The row is the record's own: its order_no carries the key.
				if p.rec.Mod.KeysJSON != wantOK[i] || fmt.Sprintf(`{"Id":"%s"}`, p.row.Values[1].(string)[2:]) != wantOK[i] {
					t.Fatalf("prepared %d: %s (row %v), want %s", i, p.rec.Mod.KeysJSON, p.row.Values, wantOK[i])
				}
			}
			for i, f := range failed {
				if f.Record.Mod.KeysJSON != wantBad[i] || f.Err == nil {
					t.Fatalf("failure %d: %s (%v), want %s", i, f.Record.Mod.KeysJSON, f.Err, wantBad[i])
				}
			}
		})
	}
}

// oneAtATime is a transformation that counts the calls it is in at once;
// each takes delay (50µs when zero).
type oneAtATime struct {
	in, most, calls atomic.Int64
	delay           time.Duration
}

func (o *oneAtATime) ToSourceRow(context.Context, transformation.Request) (transformation.Response, error) {
	n := o.in.Add(1)
	defer o.in.Add(-1)
	if n > o.most.Load() {
		o.most.Store(n)
	}
	o.calls.Add(1)
	d := o.delay
	if d == 0 {
		d = 50 * time.Microsecond // room for another call to come in
	}
	time.Sleep(d)
	return transformation.Response{}, nil
}

// TestPrepareAllCallsATransformationOneAtATime: the user's transformation
// is not known to be safe for concurrent use, so a batch is prepared by
// one goroutine when there is one.
func TestPrepareAllCallsATransformationOneAtATime(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	tr := &oneAtATime{}
	ps, failed, err := ordersApplier(tr).prepareAll(context.Background(), preparedBatch(400, 0)).wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 400 || len(failed) != 0 || tr.calls.Load() != 400 {
		t.Fatalf("%d prepared, %d failed, %d calls; want 400, 0, 400 (%v)", len(ps), len(failed), tr.calls.Load(), failed)
	}
	if m := tr.most.Load(); m != 1 {
		t.Errorf("the transformation ran %d calls at once, want 1", m)
	}
}

// panicking converts values as convert.Values does, and panics on the
// value "boom": a bug in a converter.
type panicking struct{ convert.Values }

func (p panicking) Value(t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error) {
	if string(raw) == `"boom"` {
		panic("converter bug")
	}
	return p.Values.Value(t, raw, col, tz)
}

// TestPrepareAllPanicReachesTheCaller: a panic while preparing a record
// on one of prepareAll's goroutines is the caller's panic, as it was when
// the caller prepared every record itself: the runner turns a DoFn's
// panic into a failed bundle, which it retries, whereas a panic on a
// goroutine of its own ends the worker process, and with it every bundle
// the worker runs.
func TestPrepareAllPanicReachesTheCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	a := ordersApplier(nil)
	a.Mapper.Values = panicking{}
	batch := preparedBatch(400, 0)
	batch[350].Mod.NewValuesJSON = `{"OrderNo":"boom","Label":"x"}`
	got := func() (r any) {
		defer func() { r = recover() }()
		pr := a.prepareAll(context.Background(), batch)
		if _, _, err := pr.wait(); !errors.Is(err, errPreparePanicked) {
			t.Errorf("wait after the panic: %v, want errPreparePanicked", err)
		}
		pr.settle(Outcome{}, nil)
		return nil
	}()
	if got == nil || !strings.Contains(fmt.Sprint(got), "converter bug") {
		t.Errorf("prepareAll's panic reached the caller as %v, want the converter's", got)
	}
}
