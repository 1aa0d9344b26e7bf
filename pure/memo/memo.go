// Package memo remembers the results of pure functions of a schema's
// column types, so that work which depends only on the column (parsing its
// type) is done once per distinct type rather than once per value. The
// writer converts every value of every change record; the types come from
// the schemas read at launch, so a handful of entries serve all the data.
package memo

import (
	"sync"
	"sync/atomic"
)

// Limit bounds the entries of a Cache. Keys come from the schemas, so a
// real schema stays far below it; the bound is what keeps memory tied to
// the schema even if a caller were to pass keys derived from data (a
// fuzzer does): past it, results are computed each time and not kept.
const Limit = 4096

// Cache remembers compute(k) for each key k it was asked about, up to
// Limit keys. compute must be a pure function of k: a Cache hands the same
// value to every caller, concurrently, so values must not be modified.
// The zero value is ready; a Cache is safe for concurrent use and must
// not be copied after first use.
type Cache[K comparable, V any] struct {
	m sync.Map // K -> V
	// n counts the entries stored plus the stores in flight; a store
	// that would take it past Limit does not happen.
	n atomic.Int64
}

// Get returns compute(k), computed at most once per key while the cache
// has room (two goroutines asking at once may both compute it; one result
// is kept, and both are equal because compute is pure).
func (c *Cache[K, V]) Get(k K, compute func(K) V) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	v := compute(k)
	if c.n.Add(1) > Limit {
		c.n.Add(-1)
		return v
	}
	if _, loaded := c.m.LoadOrStore(k, v); loaded {
		c.n.Add(-1)
	}
	return v
}
