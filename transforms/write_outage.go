package transforms

import (
	"context"
	"sync"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// shardState remembers which shards were found unreachable, so that an
// outage is logged when it starts and when it ends rather than at every
// batch that fails meanwhile. The writers of one worker process share one
// (workerShards): a worker runs many writer instances at once, and one
// line per worker and outage is what an operator wants to read.
type shardState struct {
	mu   sync.Mutex
	down map[string]time.Time // shard -> first failure seen
}

// workerShards is the shard state of this worker process.
var workerShards = &shardState{}

// note records the outcome of a write of records to shard: err is what the
// applier returned, applied how many rows reached MySQL. Only rows written
// prove the shard is back: a batch of stale or unmappable records succeeds
// without MySQL.
func (s *shardState) note(ctx context.Context, shard string, records, applied int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		if applied == 0 {
			return
		}
		since, ok := s.down[shard]
		if ok {
			delete(s.down, shard)
			logs.Info(ctx, "shard reachable again", "shard", shard, "down_for", time.Since(since).Round(time.Second))
		}
		return
	}
	if !unreachable(ctx, err) {
		return
	}
	if _, ok := s.down[shard]; ok {
		return
	}
	if s.down == nil {
		s.down = map[string]time.Time{}
	}
	s.down[shard] = time.Now()
	logs.Warn(ctx, "shard unreachable", "shard", shard, "records", records, "error", err)
}

// unreachable tells connection failures from a shard that answered: lock
// wait timeouts and deadlocks are connection errors (the batch is retried
// whole), but they say nothing about reaching the shard. An error after our
// own context ended is the worker stopping.
func unreachable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && target.Unreachable(err)
}
