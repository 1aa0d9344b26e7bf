package transforms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/bits"
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*FileCount)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*readTally)(nil)).Elem())
	register.DoFn5x1[context.Context, state.Provider, timers.Provider, string, FileCount, error](&deleteConsumedFn{})
	register.Emitter3[beam.EventTime, string, FileCount]()
}

// FileCount is one report on one read of a DLQ file, keyed by the read's
// name (the Origin of its records). The reader announces the read (Path,
// Announced, Expected: the number of records it sent on, numbered 0 to
// Expected-1 by their OriginIndex); the shard assignment and the writer
// report Done: the OriginIndex of each record whose outcome they
// committed (applied, dropped as older, filtered, or written back to the
// DLQ). Reports name records rather than count them, so a record or a
// report delivered twice (Dataflow's at-least-once streaming mode, a
// retried bundle) cannot complete the read early.
type FileCount struct {
	Path      string
	Announced bool
	Expected  int64
	Done      []int64
}

// readTally is what DeleteConsumed keeps of one read: its announcement
// and which of its records are done, one bit each (Expected/8 bytes: 32
// for a writer batch of 256 records, 125 KB for a million records).
// Reports add up in any order and any number of times.
type readTally struct {
	Path      string
	Announced bool
	Expected  int64
	Done      []byte // bit i%8 of Done[i/8]: record i is done
	Count     int64  // the records marked in Done
}

// add merges a report into the tally.
func (t *readTally) add(c FileCount) {
	if c.Announced && !t.Announced {
		t.Path, t.Announced, t.Expected = c.Path, true, c.Expected
		t.trim()
	}
	for _, i := range c.Done {
		t.mark(i)
	}
}

// mark marks record i done; a record marked already, or not one of the
// read's records, changes nothing.
func (t *readTally) mark(i int64) {
	if i < 0 || (t.Announced && i >= t.Expected) {
		return
	}
	at, bit := i/8, byte(1)<<(i%8)
	if grow := at + 1 - int64(len(t.Done)); grow > 0 {
		t.Done = append(t.Done, make([]byte, grow)...)
	}
	if t.Done[at]&bit == 0 {
		t.Done[at] |= bit
		t.Count++
	}
}

// trim drops the marks beyond Expected, once it is known. The reader
// numbers its records below Expected, so there are none unless two reads
// drew the same random name.
func (t *readTally) trim() {
	if n := (t.Expected + 7) / 8; int64(len(t.Done)) > n {
		t.Done = t.Done[:n]
	}
	if r := t.Expected % 8; r != 0 && int64(len(t.Done)) == (t.Expected+7)/8 {
		t.Done[len(t.Done)-1] &= byte(1)<<r - 1
	}
	t.Count = 0
	for _, b := range t.Done {
		t.Count += int64(bits.OnesCount8(b))
	}
}

// complete reports that the file may be deleted: the read was announced
// and each record it sent on has its outcome committed. Until then the
// file stays, so a crash anywhere between the reader and the writer
// leaves it to be read again: records may be applied twice (the shadow
// check drops the older), never lost.
func (t *readTally) complete() bool {
	return t.Announced && t.Count >= t.Expected
}

// newReadName names one read of a DLQ file: a read of the same file in
// another bundle (a retried bundle, a second poll, a relaunch) gets its
// own tally, so its records never complete another read's.
func newReadName(path string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b) + " " + path
}

// doneByOrigin lists the records of recs per DLQ read, by OriginIndex;
// records of the change stream (no Origin) are left out.
func doneByOrigin(recs []record.Record) map[string][]int64 {
	var done map[string][]int64
	for _, r := range recs {
		if r.Origin == "" {
			continue
		}
		if done == nil {
			done = map[string][]int64{}
		}
		done[r.Origin] = append(done[r.Origin], r.OriginIndex)
	}
	return done
}

// reportDone emits the Done reports of recs, whose outcomes are committed.
func reportDone(at beam.EventTime, recs []record.Record, done func(beam.EventTime, string, FileCount)) {
	for origin, ids := range doneByOrigin(recs) {
		done(at, origin, FileCount{Done: ids})
	}
}

// tallyTTL is how long DeleteConsumed keeps the tally of a read that is
// not complete after its last report: a read whose records are still on
// their way gets a report at least every few minutes, while a tally
// touched by nothing for a day never completes (a report delivered again
// after its read completed and was cleared, or a read whose records were
// lost with a worker).
const tallyTTL = 24 * time.Hour

// deleteConsumedFn deletes a DLQ file once its read is complete. It is
// keyed by the read's name and keeps the tally in state.
//
// Expire clears a tally that no report touched for tallyTTL. Under
// at-least-once delivery a report may arrive again after its read
// completed and its tally was cleared; it starts a tally that can never
// complete, and without the timer that state would stay for ever.
// Clearing an incomplete tally of a live read costs no record: its file is
// then never deleted by this read, so it stays in the DLQ and is read
// again (by the retry poll within the hour, or by the next retryDLQ run),
// which may apply records twice (the shadow check drops the older), never
// loses one.
//
// Expire is an event-time timer set to the wall clock plus tallyTTL: the
// pipeline's watermark follows the change stream's commit times and the
// retry poll's clock, so it passes that time about a day later (later
// when the pipeline lags), and when a bounded pipeline ends. It is the
// DoFn's only timer family (prism hangs on a DoFn that declares two), and
// holds no watermark: the DoFn outputs nothing.
type deleteConsumedFn struct {
	Tally  state.Value[readTally]
	Expire timers.EventTime
}

func (f *deleteConsumedFn) ProcessElement(ctx context.Context, sp state.Provider, tp timers.Provider, read string, c FileCount) error {
	tally, _, err := f.Tally.Read(sp)
	if err != nil {
		return err
	}
	tally.add(c)
	if !tally.complete() {
		f.Expire.Set(tp, time.Now().Add(tallyTTL), timers.WithNoOutputTimestamp())
		return f.Tally.Write(sp, tally)
	}
	if err := dlq.Remove(ctx, tally.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// The file stays and is read again later: duplicates, not loss.
		failedDeletions.Inc(ctx, 1)
		logs.Warn(ctx, "consumed DLQ file not deleted", "file", tally.Path, "error", err)
	}
	f.Expire.Clear(tp)
	return f.Tally.Clear(sp)
}

// OnTimer drops a tally that no report touched for tallyTTL (see
// deleteConsumedFn). Its file, if the read was announced and the file
// still exists, is kept and read again later.
func (f *deleteConsumedFn) OnTimer(ctx context.Context, sp state.Provider, tp timers.Provider, read string, _ timers.Context) error {
	tally, ok, err := f.Tally.Read(sp)
	if err != nil || !ok {
		return err
	}
	if tally.Announced {
		logs.Info(ctx, "DLQ read not complete; its tally is dropped and its file kept, to be read again", "file", tally.Path,
			"records", tally.Expected, "done", tally.Count)
	} else {
		logs.Debug(ctx, "dropping the tally of a DLQ read that was never announced (a late duplicate report)", "read", read, "done", tally.Count)
	}
	return f.Tally.Clear(sp)
}

// DeleteConsumed deletes the DLQ files read by ReconsumeRetries and
// ReconsumeFiles once all the records of their read are accounted for.
// tallies are the readers' announcements and the Done reports of
// AssignShard and Write.
func DeleteConsumed(s beam.Scope, tallies ...beam.PCollection) {
	s = s.Scope("DLQ.DeleteConsumed")
	beam.ParDo0(s, &deleteConsumedFn{}, beam.Flatten(s, tallies...))
}
