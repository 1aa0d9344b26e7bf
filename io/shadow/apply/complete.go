package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// RowReader reads rows of the change stream's database as they were at a
// past time (io/spannerread.Reader).
type RowReader interface {
	// RowBefore returns the non-key columns of a row just before a
	// delete committed at commit, as a change-record JSON object.
	RowBefore(ctx context.Context, t schema.SpannerTable, keysJSON string, commit time.Time) (string, error)
	// Columns returns cols of a row as it was at time at.
	Columns(ctx context.Context, t schema.SpannerTable, keysJSON string, at time.Time, cols []string) (map[string]json.RawMessage, error)
}

// complete adds to r what its change record lacks and mapping needs: the
// row of a keys-only DELETE, or generated columns. With a custom
// transformation every DELETE is completed, since the transformation is
// handed the deleted row, as in the Java template.
func (a *Applier) complete(ctx context.Context, r *record.Record) error {
	need, ok := a.Mapper.NeedsRead(*r, a.Transform != nil)
	if !ok {
		return nil
	}
	t := a.Spanner.Tables[r.TableName]
	if a.Rows == nil {
		return fmt.Errorf("table %q: mapping needs columns %v read from Spanner, but the writer has no reader", r.TableName, need.Columns)
	}
	if need.BeforeCommit {
		vals, err := a.Rows.RowBefore(ctx, t, r.Mod.KeysJSON, r.CommitTimestamp.Time())
		if err != nil {
			return fmt.Errorf("reading the deleted row back from Spanner: %w", err)
		}
		r.Mod.NewValuesJSON = vals
		return nil
	}
	read, err := a.Rows.Columns(ctx, t, r.Mod.KeysJSON, r.CommitTimestamp.Time(), need.Columns)
	if err != nil {
		return fmt.Errorf("reading generated columns %v from Spanner: %w", need.Columns, err)
	}
	vals := map[string]json.RawMessage{}
	if r.Mod.NewValuesJSON != "" {
		if err := json.Unmarshal([]byte(r.Mod.NewValuesJSON), &vals); err != nil {
			return fmt.Errorf("table %q: new values %.200s: %w", r.TableName, r.Mod.NewValuesJSON, err)
		}
	}
	for c, v := range read {
		vals[c] = v
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	r.Mod.NewValuesJSON = string(b)
	return nil
}

// mapRow runs the custom transformation, if any, then maps the record. A
// table that is not at the source is not handed to the transformation:
// mapping sends it to the skip directory.
func (a *Applier) mapRow(ctx context.Context, r record.Record) (mapping.Row, error) {
	if a.Transform == nil || !a.Mapper.AtSource(r.TableName) {
		return a.Mapper.ToSource(r)
	}
	resp, err := transformation.Apply(ctx, a.Transform, r)
	if err != nil {
		return mapping.Row{}, err
	}
	if resp.IsEventFiltered {
		return mapping.Row{Table: r.TableName, Filtered: true, Delete: r.ModType == record.ModDelete}, nil
	}
	return a.Mapper.ToSourceWith(r, resp.ResponseRow)
}
