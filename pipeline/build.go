package pipeline

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// Build adds the replication graph to s:
//
//	change stream -> filtration -> one record per row --+
//	DLQ retry/ (polled), severe/ (retry modes) ---------+-> shard assignment -> writer (+ DLQ)
//	                                                        writer -> applied watermark (metadata database)
func Build(s beam.Scope, p *Plan) {
	var rows []beam.PCollection
	if p.ReadStream {
		records := changestream.Read(s, p.Read)
		kept := transforms.Filter(s, p.Filtration, records)
		rows = append(rows, transforms.SplitMods(s, kept))
	}
	if p.RetryPoll > 0 {
		rows = append(rows, transforms.ReconsumeRetries(s, p.DLQDir, p.RetryPoll, p.MaxRetries, p.RetryUntil, p.Subscription, p.Write.RetryMode))
	}
	if !p.ReadStream {
		rows = append(rows, transforms.ReconsumeFiles(s, p.DLQDir, p.SevereFiles, p.MaxRetries))
	}
	all := rows[0]
	if len(rows) > 1 {
		all = beam.Flatten(s, rows...)
	}
	keyed := transforms.AssignShard(s, p.Assign, all)
	written := transforms.Write(s, p.Write, keyed)
	if p.ReadStream {
		// Stores how far the writer has got, for a relaunch to resume from.
		changestream.TrackApplied(s, p.Read, written)
	}
}
