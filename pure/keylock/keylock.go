// Package keylock names the rows a batch writes as lock keys: 32-bit
// hashes of (namespace, table, primary key values), for a target whose
// row locks do not order the writers of a key by themselves (PostgreSQL,
// see io/target.KeyLocker). It is pure so that the encoding, which every
// writer of a shard must share, is pinned by its tests.
//
// Two writers of the same row always compute the same key; two rows may
// share one (a collision), which only makes their writers wait for each
// other more than needed, never less. The encoding is part of the
// protocol between writers: a job and an overlapping relaunch, a
// retryDLQ run, another pipeline on the same shard. Changing it (the
// prefix, the tags, the hash) lets a writer of the old encoding and one
// of the new write the same row without waiting for each other, so it
// must not change without a new prefix and a release note saying that
// writers of both versions must not run together.
package keylock

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// prefix starts every hashed key: the encoding's name and version.
const prefix = "revrepl/keylock/v1"

// Tags of a key value's type in the encoding.
const (
	tagNull   = 'N'
	tagString = 'S'
	tagBytes  = 'B'
	tagOther  = 'O' // any other type, as fmt prints it (the targets bind none today)
)

// Hash is the lock key of the row of table, in namespace, whose primary
// key values are key (as mapping.Row.KeyValues holds them: the values
// bound to the target, nil for NULL). Every string is length-prefixed, so
// no two distinct (namespace, table, key) encode alike.
func Hash(namespace, table string, key []any) int32 {
	h := fnv.New64a()
	_, _ = h.Write(encode(namespace, table, key))
	return int32(uint32(mix(h.Sum64())))
}

// mix is MurmurHash3's 64-bit finalizer: FNV-1a of keys that differ in
// their last byte differs in few bits, and mix spreads them over all 64,
// of which Hash keeps the low 32.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// encode is what Hash hashes.
func encode(namespace, table string, key []any) []byte {
	b := make([]byte, 0, 64)
	b = appendString(b, prefix)
	b = appendString(b, namespace)
	b = appendString(b, table)
	b = binary.AppendUvarint(b, uint64(len(key)))
	for _, v := range key {
		b = appendValue(b, v)
	}
	return b
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, tagNull)
	case string:
		return appendString(append(b, tagString), v)
	case []byte:
		return appendString(append(b, tagBytes), string(v))
	default:
		return appendString(append(b, tagOther), fmt.Sprintf("%T\x00%v", v, v))
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Keys are the lock keys of the rows written of rows (a filtered row
// writes nothing), in namespace: distinct, ascending. Writers that take
// their keys in this order never wait for each other in a cycle. A row's
// key is of its LockKey, which an upsert and a delete of the row compute
// alike (a delete's KeyValues may name more columns: mapping.Row).
func Keys(namespace string, rows []mapping.Row) []int32 {
	out := make([]int32, 0, len(rows))
	for _, r := range rows {
		if r.Filtered {
			continue
		}
		key := r.KeyValues
		if r.LockKey != nil {
			key = r.LockKey
		}
		out = append(out, Hash(namespace, r.Table, key))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
