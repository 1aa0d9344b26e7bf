package target

import (
	"context"
	"database/sql"

	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Scanner is the reading side of a target, for runMode=verify: it reads a
// table back in primary-key ranges, every value in the target's canonical
// text form, and puts the values the writer binds into that same form, so
// pure/verify compares text with text.
//
// The canonical form is the target's to define; it must make a value the
// writer binds (Values().Value's result, for the column) and the value the
// column returns once that was written give the same text, and different
// stored values different texts (up to what the type keeps: a target may
// compare floating-point values to 15 significant digits, say). The db
// arguments are pools from Target.Acquire.
type Scanner interface {
	// Canonical is the canonical form of v, a value the writer binds for
	// col (nil is NULL).
	Canonical(col schema.SourceColumn, v any) (verify.Value, error)
	// Splits returns primary keys of t, ascending, that cut it into
	// ranges of about rowsPerRange rows (none for a smaller table), for
	// reading a table in parallel.
	Splits(ctx context.Context, db *sql.DB, t schema.SourceTable, rowsPerRange int) ([][]verify.Value, error)
	// ReadRange calls fn with every row of t in r, in primary-key order:
	// its non-generated columns in table order, values in canonical form.
	ReadRange(ctx context.Context, db *sql.DB, t schema.SourceTable, r KeyRange, fn func(verify.Row) error) error
	// ReadKey calls fn with the rows of t whose written key (WrittenKey)
	// has the canonical values key: the row of a join key, as ReadRange
	// read it. That is one row, or more where the canonical form merges
	// stored keys (a MySQL DOUBLE's 15 digits). The key is matched by its
	// canonical form, not by binding it back: a form that rounds (that
	// DOUBLE) binds back as another value.
	ReadKey(ctx context.Context, db *sql.DB, t schema.SourceTable, key []verify.Value, fn func(verify.Row) error) error
	// ShadowVersions reads the versions the shard's shadow table t
	// (shadowTableLocation=source) holds for keys, keyed by string(Hash);
	// keys never applied are absent. It takes no locks: the in-flight
	// rule of verify reads beside the writer, which must not wait for it.
	ShadowVersions(ctx context.Context, db *sql.DB, t ShadowTable, keys []ShadowKey) (map[string]newer.Version, error)
}

// KeyRange is a range of primary keys, as Splits returns them: From
// (inclusive) to To (exclusive; inclusive when Through). A nil bound is
// open. From = To with Through reads one key.
type KeyRange struct {
	From, To []verify.Value
	Through  bool
}

// WrittenKey is the primary key of t as the writer binds it and as
// runMode=verify joins rows by: the columns the target generates (a
// stored generated column in the key) left out.
func WrittenKey(t schema.SourceTable) []string {
	var out []string
	for _, n := range t.PrimaryKey {
		if c, ok := t.Column(n); ok && !c.Generated {
			out = append(out, n)
		}
	}
	return out
}

// HasKey reports whether row's columns cols have the values key
// (ReadKey's final test, after a read that may match more).
func HasKey(row verify.Row, cols []string, key []verify.Value) bool {
	if len(cols) != len(key) {
		return false
	}
	for i, c := range cols {
		if v, ok := row.Get(c); !ok || v != key[i] {
			return false
		}
	}
	return true
}
