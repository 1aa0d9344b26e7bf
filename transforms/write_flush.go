package transforms

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// flushAndMark flushes the shard's batch and then emits a marker for it:
// the batch's size, stamped with its newest commit time (milliseconds, the
// change stream's event time). The markers let the change-stream source
// store its applied watermark (changestream.TrackApplied): that relies on
// the writer's output watermark, and the markers tell it when the newest
// writes are in. A batch that failed emits nothing; its bundle fails.
//
// Once flushed, every record of the batch is applied, known to be older,
// filtered, or in the DLQ: those read from a DLQ file are reported to
// DeleteConsumed, which deletes the file when all its records are.
func (f *writeFn) flushAndMark(ctx context.Context, shard string, done func(beam.EventTime, int64),
	consumed func(beam.EventTime, string, FileCount)) error {
	batch := f.buf[shard]
	if err := f.flush(ctx, shard); err != nil {
		return err
	}
	if len(batch) > 0 {
		at := newestEventTime(batch)
		done(at, int64(len(batch)))
		reportDone(at, batch, consumed)
	}
	return nil
}

func newestEventTime(batch []record.Record) beam.EventTime {
	var newest record.Timestamp
	for _, r := range batch {
		if r.CommitTimestamp.Compare(newest) > 0 {
			newest = r.CommitTimestamp
		}
	}
	return beam.EventTime(newest.Time().UnixMilli())
}
