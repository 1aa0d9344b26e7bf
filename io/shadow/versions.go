package shadow

import (
	"context"
	"errors"
	"fmt"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"

	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Table is one shadow table and the key columns it shares with its data table.
type Table struct {
	Name       string
	KeyColumns []string
}

// ReadVersions reads, inside tx, the stored versions of keys; keys never
// applied are absent from the result. The map is keyed by KeyText (Key.String()).
// The read takes exclusive locks (LockingRead), so a concurrent writer of
// the same keys waits or is aborted instead of interleaving.
func (t Table) ReadVersions(ctx context.Context, tx *spanner.ReadWriteTransaction, keys []spanner.Key) (map[string]newer.Version, error) {
	out := make(map[string]newer.Version, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	ks := make([]spanner.KeySet, len(keys))
	for i, k := range keys {
		ks[i] = k
	}
	cols := append(append([]string{}, t.KeyColumns...), CommitTsColumn, SeqColumn)
	err := tx.ReadWithOptions(ctx, t.Name, spanner.KeySets(ks...), cols, LockingRead()).Do(func(r *spanner.Row) error {
		key := make(spanner.Key, len(t.KeyColumns))
		for i := range t.KeyColumns {
			var g spanner.GenericColumnValue
			if err := r.Column(i, &g); err != nil {
				return err
			}
			v, err := decodeKeyPart(g)
			if err != nil {
				return fmt.Errorf("shadow table %s column %s: %w", t.Name, t.KeyColumns[i], err)
			}
			key[i] = v
		}
		var ts spanner.NullTime
		var seq spanner.NullInt64
		if err := r.Column(len(t.KeyColumns), &ts); err != nil {
			return err
		}
		if err := r.Column(len(t.KeyColumns)+1, &seq); err != nil {
			return err
		}
		if ts.Valid {
			out[KeyText(key)] = newer.Version{CommitTs: record.FromTime(ts.Time), Seq: seq.Int64}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading shadow table %s: %w", t.Name, err)
	}
	return out, nil
}

// LockingRead are the options of every shadow read in a read-write
// transaction: an exclusive lock, as the Java template takes. The default
// (shared) lock lets two transactions read the same shadow row at once;
// both then decide against the same old version and both apply, and
// whichever commits MySQL last need not be the one that commits the newer
// version (see io/shadow/apply).
func LockingRead() *spanner.ReadOptions {
	return &spanner.ReadOptions{LockHint: spannerpb.ReadRequest_LOCK_HINT_EXCLUSIVE}
}

// Mutation records v as the applied version of key.
func (t Table) Mutation(key spanner.Key, v newer.Version) *spanner.Mutation {
	cols := append(append([]string{}, t.KeyColumns...), CommitTsColumn, SeqColumn)
	vals := append(append([]any{}, []any(key)...), v.CommitTs.Time(), v.Seq)
	return spanner.InsertOrUpdate(t.Name, cols, vals)
}

// decodeKeyPart turns a key column value back into the Go type that Key
// produces, so both sides of a lookup print the same Key.String().
func decodeKeyPart(g spanner.GenericColumnValue) (any, error) {
	var target any
	switch g.Type.GetCode().String() {
	case "INT64":
		var v spanner.NullInt64
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.Int64), err
	case "STRING", "UUID":
		var v spanner.NullString
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.StringVal), err
	case "BOOL":
		var v spanner.NullBool
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.Bool), err
	case "FLOAT64":
		var v spanner.NullFloat64
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.Float64), err
	case "FLOAT32":
		var v spanner.NullFloat32
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.Float32), err
	case "BYTES":
		var v []byte
		err := g.Decode(&v)
		return v, err // nil for NULL, as nullKeyPart
	case "TIMESTAMP":
		var v spanner.NullTime
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.Time), err
	case "DATE":
		var v spanner.NullDate
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.Date), err
	case "NUMERIC":
		if g.Type.GetTypeAnnotation().String() == "PG_NUMERIC" {
			var v spanner.PGNumeric
			err := g.Decode(&v)
			if !v.Valid {
				return spanner.NullNumeric{}, err
			}
			return v, err
		}
		var v spanner.NullNumeric
		err := g.Decode(&v)
		return nullOr(v, v.Valid, v.Numeric), err
	}
	return target, fmt.Errorf("unsupported key type %s", g.Type.GetCode())
}

// nullOr is v when valid, else the typed NULL null (what nullKeyPart
// returns for the column's type).
func nullOr(null any, valid bool, v any) any {
	if !valid {
		return null
	}
	return v
}

// ReadVersion reads the stored version of one key without a lock (a
// strong single read): runMode=verify's look at what the writer applied.
// ok is false for a key never applied.
func (t Table) ReadVersion(ctx context.Context, c *spanner.Client, key spanner.Key) (v newer.Version, ok bool, err error) {
	row, err := c.Single().ReadRow(ctx, t.Name, key, []string{CommitTsColumn, SeqColumn})
	if errors.Is(err, spanner.ErrRowNotFound) {
		return newer.Version{}, false, nil
	}
	if err != nil {
		return newer.Version{}, false, fmt.Errorf("reading shadow table %s: %w", t.Name, err)
	}
	var ts spanner.NullTime
	var seq spanner.NullInt64
	if err := row.Columns(&ts, &seq); err != nil {
		return newer.Version{}, false, fmt.Errorf("reading shadow table %s: %w", t.Name, err)
	}
	if !ts.Valid {
		return newer.Version{}, false, nil
	}
	return newer.Version{CommitTs: record.FromTime(ts.Time), Seq: seq.Int64}, true, nil
}
