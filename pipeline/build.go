package pipeline

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// Build adds the replication graph to s:
//
//	change stream -> filtration -> one record per row -> shard assignment -> writer (+ DLQ)
func Build(s beam.Scope, p *Plan) {
	records := changestream.Read(s, p.Read)
	kept := transforms.Filter(s, p.Filtration, records)
	rows := transforms.SplitMods(s, kept)
	keyed := transforms.AssignShard(s, p.SingleShard, p.Buckets, rows)
	transforms.Write(s, p.Write, keyed)
}
