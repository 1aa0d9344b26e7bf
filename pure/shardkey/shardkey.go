// Package shardkey computes the grouping key of a record before the writer:
// every change of one primary key on one shard gets the same key, so one key
// is never written by two workers at once, while different keys spread over
// up to buckets workers.
package shardkey

import "hash/fnv"

// Of returns a stable bucket in [0, buckets) for (table, keys JSON, shard).
// FNV-1a is stable across processes and Go versions, unlike map hashing,
// which matters because workers on different machines must agree.
func Of(table, keysJSON, shard string, buckets int64) int64 {
	if buckets <= 0 {
		buckets = 1
	}
	h := fnv.New64a()
	h.Write([]byte(table))
	h.Write([]byte{0})
	h.Write([]byte(keysJSON))
	h.Write([]byte{0})
	h.Write([]byte(shard))
	return int64(h.Sum64() % uint64(buckets))
}
