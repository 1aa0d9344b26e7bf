package transforms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
//
// It also keeps a write from waiting on a shard known to be down: while a
// shard is down, one write at a time probes it, at most every probeEvery;
// the other batches for it go straight to retry/ (admit). Without that,
// every bundle holding a batch for the dead shard would wait out the
// connection deadline before flushing its batches for the healthy shards,
// and those would fall behind for as long as the outage lasts.
type shardState struct {
	mu sync.Mutex
	// Keyed by shardKey: the shard id and its pool, so that two jobs (or
	// tests) in one process with a shard of the same id on different
	// servers do not share a state.
	down      map[string]time.Time // shard -> first failure seen
	probing   map[string]bool      // shard -> a write is trying it now
	lastProbe map[string]time.Time // shard -> when the last probe started
	now       func() time.Time     // time.Now; tests replace it
}

// probeEvery is how long after a failed write a shard found unreachable is
// tried again; batches in between go to retry/ without trying.
const probeEvery = 5 * time.Second

// errShardDown fails a batch that was not tried because its shard is down.
var errShardDown = errors.New("shard unreachable: batch not tried, it waits in retry/ until the shard answers again")

// admit reports whether a batch for the shard key should be written now. A shard
// not known to be down always is. A shard down is probed by one write at a
// time, at most every probeEvery; the caller of an admitted write must call
// note (or done) when it ends.
func (s *shardState) admit(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, down := s.down[key]; !down {
		return true
	}
	now := s.clock()
	if s.probing[key] || now.Sub(s.lastProbe[key]) < probeEvery {
		return false
	}
	if s.probing == nil {
		s.probing, s.lastProbe = map[string]bool{}, map[string]time.Time{}
	}
	s.probing[key], s.lastProbe[key] = true, now
	return true
}

// shardKey names a shard in shardState: its id and its connection pool
// (one per server and account in a process).
func shardKey(shard string, pool *sql.DB) string {
	return fmt.Sprintf("%s %p", shard, pool)
}

func (s *shardState) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// workerShards is the shard state of this worker process.
var workerShards = &shardState{}

// note records the outcome of a write of records to shard: err is what the
// applier returned, applied how many rows reached MySQL. Only rows written
// prove the shard is back: a batch of stale or unmappable records succeeds
// without MySQL.
func (s *shardState) note(ctx context.Context, key, shard string, records, applied int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.probing, key)
	if err == nil {
		if applied == 0 {
			return
		}
		since, ok := s.down[key]
		if ok {
			delete(s.down, key)
			logs.Info(ctx, "shard reachable again", "shard", shard, "down_for", time.Since(since).Round(time.Second))
		}
		return
	}
	if !unreachable(ctx, err) {
		return
	}
	if _, ok := s.down[key]; ok {
		s.lastProbe[key] = s.clock() // the next probe waits from the end of this one
		return
	}
	if s.down == nil {
		s.down = map[string]time.Time{}
	}
	s.down[key] = s.clock()
	if s.lastProbe == nil {
		s.probing, s.lastProbe = map[string]bool{}, map[string]time.Time{}
	}
	s.lastProbe[key] = s.clock()
	logs.Warn(ctx, "shard unreachable", "shard", shard, "records", records, "error", err)
}

// unreachable tells connection failures from a shard that answered: lock
// wait timeouts and deadlocks are connection errors (the batch is retried
// whole), but they say nothing about reaching the shard. An error after our
// own context ended is the worker stopping.
func unreachable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && target.Unreachable(err)
}
