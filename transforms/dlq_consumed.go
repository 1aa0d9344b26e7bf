package transforms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*FileCount)(nil)).Elem())
	register.DoFn4x1[context.Context, state.Provider, string, FileCount, error](&deleteConsumedFn{})
	register.Emitter3[beam.EventTime, string, FileCount]()
}

// FileCount tallies one read of a DLQ file, keyed by the read's name (the
// Origin of its records). The reader announces the read (Path, Announced,
// Expected: the records it sent on); the shard assignment and the writer
// report Done for the records whose outcome they committed: applied,
// dropped as older, filtered, or written back to the DLQ.
type FileCount struct {
	Path      string
	Announced bool
	Expected  int64
	Done      int64
}

// Add merges two tallies of the same read, in any order.
func (c FileCount) Add(o FileCount) FileCount {
	if o.Announced {
		c.Path, c.Announced, c.Expected = o.Path, true, o.Expected
	}
	c.Done += o.Done
	return c
}

// Complete reports that the file may be deleted: the read was announced
// and every record it sent on has its outcome committed. Until then the
// file stays, so a crash anywhere between the reader and the writer
// leaves it to be read again: records may be applied twice (the shadow
// check drops the older), never lost.
func (c FileCount) Complete() bool {
	return c.Announced && c.Done >= c.Expected
}

// newReadName names one read of a DLQ file: a read of the same file in
// another bundle (a retried bundle, a second poll, a relaunch) gets its
// own tally, so its records never complete another read's.
func newReadName(path string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b) + " " + path
}

// countOrigins counts records per DLQ read; records of the change stream
// (no Origin) are left out.
func countOrigins(recs []record.Record) map[string]int64 {
	var n map[string]int64
	for _, r := range recs {
		if r.Origin == "" {
			continue
		}
		if n == nil {
			n = map[string]int64{}
		}
		n[r.Origin]++
	}
	return n
}

// reportDone emits the Done tallies of recs, whose outcomes are committed.
func reportDone(at beam.EventTime, recs []record.Record, done func(beam.EventTime, string, FileCount)) {
	for origin, n := range countOrigins(recs) {
		done(at, origin, FileCount{Done: n})
	}
}

// deleteConsumedFn deletes a DLQ file once its read is Complete. It is
// keyed by the read's name and keeps the tally in state; it needs no timer.
type deleteConsumedFn struct {
	Tally state.Value[FileCount]
}

func (f *deleteConsumedFn) ProcessElement(ctx context.Context, sp state.Provider, read string, c FileCount) error {
	tally, _, err := f.Tally.Read(sp)
	if err != nil {
		return err
	}
	tally = tally.Add(c)
	if !tally.Complete() {
		return f.Tally.Write(sp, tally)
	}
	if err := dlq.Remove(ctx, tally.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// The file stays and is read again later: duplicates, not loss.
		failedDeletions.Inc(ctx, 1)
		logs.Warn(ctx, "consumed DLQ file not deleted", "file", tally.Path, "error", err)
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
