package pipeline

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// Build adds the replication graph to s:
//
//	change stream -> filtration -> one record per row --+
//	DLQ retry/ (polled), severe/ (retry modes) ---------+-> completion -> shard assignment -> writer (+ DLQ)
//	                                                        writer -> applied watermark (metadata database)
//	DLQ reads, completion, shard assignment and writer outcomes -> deletion of the consumed DLQ files
//
// In runMode=verify the job is the verification instead (transforms.Verify).
func Build(s beam.Scope, p *Prepared) {
	if p.Verify != nil {
		transforms.Verify(s, *p.Verify)
		return
	}
	var rows, tallies []beam.PCollection
	if p.ReadStream {
		records := changestream.Read(s, p.Read)
		kept := transforms.Filter(s, p.Filtration, records)
		rows = append(rows, transforms.SplitMods(s, kept))
	}
	if p.RetryPoll > 0 {
		var fence changestream.Fence
		if p.ReadStream {
			fence = p.Read.Fence()
		}
		records, reads := transforms.ReconsumeRetries(s, p.DLQ, p.RetryPoll, p.RetryUntil, p.Subscription, fence)
		rows, tallies = append(rows, records), append(tallies, reads)
	}
	if !p.ReadStream {
		records, reads := transforms.ReconsumeFiles(s, p.DLQ, p.SevereFiles)
		rows, tallies = append(rows, records), append(tallies, reads)
	}
	all := rows[0]
	if len(rows) > 1 {
		all = beam.Flatten(s, rows...)
	}
	completed, incomplete := transforms.Complete(s, p.Complete, all)
	keyed, filed := transforms.AssignShard(s, p.Assign, completed)
	written, consumed := transforms.Write(s, p.Write, keyed)
	if len(tallies) > 0 {
		// A DLQ file is deleted once the outcome of each of its records
		// is committed: a crash before that only re-reads it.
		transforms.DeleteConsumed(s, append(tallies, incomplete, filed, consumed)...)
	}
	if p.ReadStream {
		// Stores how far the writer has got, for a relaunch to resume from.
		changestream.TrackApplied(s, p.Read, written)
	}
}
