package target

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// The shard side of shadowTableLocation=source: shadow tables in each
// shard's own database, read and written in the same transaction as the
// changes (io/shadow/apply, source.go, proves the protocol).
//
// A shadow table of the shard has one row per primary key of its Spanner
// table:
//
//   - ShadowKeyColumn, the primary key: the Spanner key's identity, a
//     canonical encoding of it, or for a long key a prefix of that and its
//     SHA-256 (io/shadow.SourceKey), at most ShadowKeyMaxLen bytes. A
//     bounded binary key compares exactly in every target and every
//     collation, and fits every index: a Spanner key may be 8 KiB of
//     STRING(MAX) and BYTES(MAX), beyond InnoDB's 3072-byte and
//     PostgreSQL's ~2700-byte index entries, and typed copies would have
//     to reproduce Spanner's equality (binary strings, nanosecond
//     timestamps, NUMERIC scale) in each target. Keys that follow one
//     another get identities that follow one another, so a batch's shadow
//     rows are neighbours in the index, as its data rows are;
//   - the Spanner key columns, under their names, as text: for people
//     reading the table, never compared;
//   - ShadowCommitTsColumn, the commit timestamp of the last change applied
//     to the key, in nanoseconds since the Unix epoch (a BIGINT keeps every
//     digit, which DATETIME(6) or timestamp would not); NULL in a row that
//     only locks a key never applied;
//   - ShadowSeqColumn, the change's record sequence;
//   - a target may add columns of its own bookkeeping (MySQL's lock
//     counter, io/target/mysql LockCountColumn).
const (
	ShadowKeyColumn      = "shadow_key"
	ShadowCommitTsColumn = "processed_commit_ts"
	ShadowSeqColumn      = "record_seq"
	// ShadowKeyMaxLen bounds the length of ShadowKeyColumn's values, in
	// bytes: the long form of io/shadow.SourceKey is shorter.
	ShadowKeyMaxLen = 128
)

// ShadowTable is one shadow table in a shard, and the Spanner key columns
// it shows.
type ShadowTable struct {
	Name       string
	KeyColumns []string
}

// ShadowKey is one primary key of a shadow table: its identity (the
// ShadowKeyColumn value) and the key's parts as text (nil for NULL), one
// per key column.
type ShadowKey struct {
	ID    []byte
	Parts []any
}

// ShadowRow is the version to record for a key; Unversioned records none
// (a placeholder row, whose key was locked but never applied).
type ShadowRow struct {
	Key         ShadowKey
	Version     newer.Version
	Unversioned bool
}

// ShadowLocks is what ShadowSession.LockShadow found, by string(ID).
type ShadowLocks struct {
	// Stored holds the version each key had before the call; a key
	// never applied (no row, or a placeholder) is absent.
	Stored map[string]newer.Version
	// Inserted holds the keys that had no row: the call inserted it, with
	// the row's claimed version.
	Inserted map[string]bool
	// AllInserted: no key had a row, the call inserted them all (the
	// common batch of new keys, told without listing them: Stored and
	// Inserted may then be empty).
	AllInserted bool
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
	// LockShadow makes sure a row exists for the key of every one of
	// claims, locks them all exclusively until the transaction ends, and
	// tells, for each, the version recorded before or that it had no row.
	// A key without a row gets one holding its claim: the version the
	// batch will record for it if nothing is refused (a key without a
	// version takes every change of the batch). Keys come once each.
	LockShadow(ctx context.Context, t ShadowTable, claims []ShadowRow) (ShadowLocks, error)
	// WriteShadow records the versions, in the transaction. The rows
	// exist (LockShadow).
	WriteShadow(ctx context.Context, t ShadowTable, rows []ShadowRow) error
}

// ShadowNanos is a commit timestamp as ShadowCommitTsColumn stores it.
func ShadowNanos(v newer.Version) int64 {
	return v.CommitTs.Seconds*1_000_000_000 + int64(v.CommitTs.Nanos)
}

// ShadowArgs are the values of r's version columns (ShadowCommitTsColumn,
// ShadowSeqColumn) as a statement binds them: NULLs when Unversioned.
func ShadowArgs(r ShadowRow) (nanos, seq any) {
	if r.Unversioned {
		return nil, nil
	}
	return ShadowNanos(r.Version), r.Version.Seq
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

// SortShadowRows returns rows sorted by identity, without duplicates (the
// first row of an identity is kept): writers of overlapping batches then take
// their locks in one order.
func SortShadowRows(rows []ShadowRow) []ShadowRow {
	out := append([]ShadowRow(nil), rows...)
	slices.SortStableFunc(out, func(a, b ShadowRow) int { return bytes.Compare(a.Key.ID, b.Key.ID) })
	uniq := out[:0]
	for i, r := range out {
		if i == 0 || !bytes.Equal(r.Key.ID, out[i-1].Key.ID) {
			uniq = append(uniq, r)
		}
	}
	return uniq
}

// ReadShadowVersions runs q, a query of (shadow key, commit nanos, record
// sequence) rows, in tx and adds each applied version to out by identity; a
// placeholder row (no version yet) adds nothing. Errors come unclassified:
// each target classifies its own.
func ReadShadowVersions(ctx context.Context, tx *sql.Tx, q string, args []any, out map[string]newer.Version) error {
	return ScanShadowRows(ctx, tx, q, args, func(r StoredShadow) {
		if r.Applied {
			out[string(r.ID)] = r.Version
		}
	})
}

// StoredShadow is a shadow row as read: its version when Applied (a
// placeholder has none), and Extra, the query's fourth column when it has
// one (a target's own bookkeeping; NULL reads as 0).
type StoredShadow struct {
	ID      []byte
	Version newer.Version
	Applied bool
	Extra   int64
}

// ScanShadowRows runs q, a query of (shadow key, commit nanos, record
// sequence[, one more integer column]) rows, in tx and calls row for each.
// It is ReadShadowVersions for a target that reads more of the row; errors
// come unclassified.
func ScanShadowRows(ctx context.Context, tx *sql.Tx, q string, args []any, row func(StoredShadow)) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if len(cols) != 3 && len(cols) != 4 {
		return fmt.Errorf("reading shadow rows: %d columns, want 3 or 4", len(cols))
	}
	for rows.Next() {
		var h []byte
		var ts, seq, extra sql.NullInt64
		dest := []any{&h, &ts, &seq, &extra}[:len(cols)]
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r := StoredShadow{ID: h, Applied: ts.Valid, Extra: extra.Int64}
		if ts.Valid {
			r.Version = ShadowVersion(ts.Int64, seq.Int64)
		}
		row(r)
	}
	return rows.Err()
}
