package target

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// The shard side of shadowTableLocation=source: shadow tables in each
// shard's own database, read and written in the same transaction as the
// changes (io/shadow/apply, source.go, proves the protocol).
//
// A shadow table of the shard has one row per primary key of its Spanner
// table:
//
//   - ShadowHashColumn, the primary key: the SHA-256 of the Spanner key in
//     a canonical encoding (io/shadow.SourceKey). A fixed-size binary key
//     compares exactly in every target and every collation, and fits every
//     index: a Spanner key may be 8 KiB of STRING(MAX) and BYTES(MAX),
//     beyond InnoDB's 3072-byte and PostgreSQL's ~2700-byte index entries,
//     and typed copies would have to reproduce Spanner's equality (binary
//     strings, nanosecond timestamps, NUMERIC scale) in each target;
//   - the Spanner key columns, under their names, as text: for people
//     reading the table, never compared;
//   - ShadowCommitTsColumn, the commit timestamp of the last change applied
//     to the key, in nanoseconds since the Unix epoch (a BIGINT keeps every
//     digit, which DATETIME(6) or timestamp would not); NULL in a row that
//     only locks a key never applied;
//   - ShadowSeqColumn, the change's record sequence.
const (
	ShadowHashColumn     = "shadow_key_sha256"
	ShadowCommitTsColumn = "processed_commit_ts"
	ShadowSeqColumn      = "record_seq"
)

// ShadowTable is one shadow table in a shard, and the Spanner key columns
// it shows.
type ShadowTable struct {
	Name       string
	KeyColumns []string
}

// ShadowKey is one primary key of a shadow table: its hash (32 bytes, the
// identity) and the key's parts as text (nil for NULL), one per key column.
type ShadowKey struct {
	Hash  []byte
	Parts []any
}

// ShadowRow is the version to record for a key.
type ShadowRow struct {
	Key     ShadowKey
	Version newer.Version
}

// ShadowTarget is what a target needs for shadowTableLocation=source: the
// launch creates the shadow tables, and the sessions lock, read and write
// their rows (ShadowSession).
type ShadowTarget interface {
	// EnsureShadowTables creates, in s, the shadow tables that are missing,
	// and checks that every one of tables is a shadow table (an unrelated
	// table of that name is refused). created lists the new ones. A user
	// who may not create tables gets an error saying so.
	EnsureShadowTables(ctx context.Context, s Shard, tables []ShadowTable) (created []string, err error)
}

// ShadowSession is a Session that keeps the shadow rows in the shard.
type ShadowSession interface {
	// LockShadow makes sure a row exists for every key (inserting an
	// unversioned one for a key never seen), locks them all exclusively
	// until the transaction ends, and returns the versions recorded,
	// keyed by string(Hash); keys never applied are absent.
	LockShadow(ctx context.Context, t ShadowTable, keys []ShadowKey) (map[string]newer.Version, error)
	// WriteShadow records the versions, in the transaction. The rows
	// exist (LockShadow).
	WriteShadow(ctx context.Context, t ShadowTable, rows []ShadowRow) error
}

// ShadowNanos is a commit timestamp as ShadowCommitTsColumn stores it.
func ShadowNanos(v newer.Version) int64 {
	return v.CommitTs.Seconds*1_000_000_000 + int64(v.CommitTs.Nanos)
}

// ShadowVersion is the version of a stored row.
func ShadowVersion(nanos, seq int64) newer.Version {
	s, n := nanos/1_000_000_000, nanos%1_000_000_000
	if n < 0 {
		s, n = s-1, n+1_000_000_000
	}
	v := newer.Version{Seq: seq}
	v.CommitTs.Seconds, v.CommitTs.Nanos = s, int32(n)
	return v
}

// ShadowTableName checks that name fits the target's identifiers.
func ShadowTableName(name string, maxLen int, targetName string) error {
	if len(name) > maxLen {
		return fmt.Errorf("shadow table name %q is %d characters long; %s allows %d: use a shorter shadowTablePrefix", name, len(name), targetName, maxLen)
	}
	return nil
}

// SortShadowKeys returns keys sorted by hash, without duplicates: writers
// of overlapping batches then take their locks in one order.
func SortShadowKeys(keys []ShadowKey) []ShadowKey {
	out := append([]ShadowKey(nil), keys...)
	sort.Slice(out, func(i, j int) bool { return string(out[i].Hash) < string(out[j].Hash) })
	uniq := out[:0]
	for i, k := range out {
		if i == 0 || string(k.Hash) != string(out[i-1].Hash) {
			uniq = append(uniq, k)
		}
	}
	return uniq
}

// ReadShadowVersions runs q, a query of (shadow hash, commit nanos, record
// sequence) rows, in tx and adds each applied version to out by hash; a
// placeholder row (no version yet) adds nothing. Errors come unclassified:
// each target classifies its own.
func ReadShadowVersions(ctx context.Context, tx *sql.Tx, q string, args []any, out map[string]newer.Version) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h []byte
		var ts, seq sql.NullInt64
		if err := rows.Scan(&h, &ts, &seq); err != nil {
			return err
		}
		if ts.Valid {
			out[string(h)] = ShadowVersion(ts.Int64, seq.Int64)
		}
	}
	return rows.Err()
}
