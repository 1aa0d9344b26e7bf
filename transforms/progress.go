package transforms

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
)

// flushAndMark flushes the shard's batch and then emits a marker for it:
// the batch's size, stamped with its newest commit time (milliseconds, the
// change stream's event time). The markers let the change-stream source
// store its applied watermark (changestream.TrackApplied): that relies on
// the writer's output watermark, and the markers tell it when the newest
// writes are in. A batch that failed emits nothing; its bundle fails.
func (f *writeFn) flushAndMark(ctx context.Context, shard string, done func(beam.EventTime, int64)) error {
	batch := f.buf[shard]
	if err := f.flush(ctx, shard); err != nil {
		return err
	}
	if len(batch) > 0 {
		done(newestEventTime(batch), int64(len(batch)))
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
