package transforms

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
	"github.com/revrepl/spanner-to-sourcedb/transforms/shardkey"
)

func init() {
	register.DoFn2x0[record.Record, func(int64, record.Record)](&assignShardFn{})
	register.Emitter2[int64, record.Record]()
}

// assignShardFn picks each record's shard and its grouping key.
type assignShardFn struct {
	// SingleShard, when set, receives every record.
	SingleShard string
	// Buckets is maxShardConnections x the number of shards.
	Buckets int64
}

func (f *assignShardFn) ProcessElement(r record.Record, emit func(int64, record.Record)) {
	r.Shard = f.SingleShard
	emit(shardkey.Of(r.TableName, r.Mod.KeysJSON, r.Shard, f.Buckets), r)
}

// AssignShard keys records for the writer. Only the single-shard mode
// exists so far; routing by a shard-id column comes with multi-shard support.
func AssignShard(s beam.Scope, singleShard string, buckets int64, col beam.PCollection) beam.PCollection {
	return beam.ParDo(s.Scope("AssignShardId"), &assignShardFn{SingleShard: singleShard, Buckets: buckets}, col)
}
