package spannerread

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Columns returns cols of the row with the given keys as it was at time
// at, as a JSON object in the change stream's encoding. Change records
// leave out non-key generated columns, so an INSERT or UPDATE whose source
// column is fed by one reads it at the change's own commit timestamp.
func (r Reader) Columns(ctx context.Context, t schema.SpannerTable, keysJSON string, at time.Time, cols []string) (map[string]json.RawMessage, error) {
	key, err := keyOf(t, keysJSON)
	if err != nil {
		return nil, err
	}
	row, err := r.Client.Single().WithTimestampBound(spanner.ReadTimestamp(at)).
		ReadRowWithOptions(ctx, t.Name, key, cols, &spanner.ReadOptions{Priority: r.Priority})
	switch {
	case spanner.ErrCode(err) == codes.NotFound:
		return nil, fmt.Errorf("table %s keys %.200s at %s: %w", t.Name, keysJSON, at.Format(time.RFC3339Nano), ErrRowNotFound)
	case spanner.ErrCode(err) == codes.FailedPrecondition:
		return nil, fmt.Errorf("table %s keys %.200s at %s: %w: %w", t.Name, keysJSON, at.Format(time.RFC3339Nano), ErrBeyondRetention, err)
	case err != nil:
		return nil, fmt.Errorf("reading table %s keys %.200s at %s: %w", t.Name, keysJSON, at.Format(time.RFC3339Nano), err)
	}
	out := make(map[string]json.RawMessage, len(cols))
	for i, c := range cols {
		var v spanner.GenericColumnValue
		if err := row.Column(i, &v); err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", t.Name, c, err)
		}
		raw, err := wireJSON(v.Value)
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", t.Name, c, err)
		}
		out[c] = raw
	}
	return out, nil
}
