package transformation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Request is one change for the transformation.
type Request struct {
	TableName  string                     `json:"tableName"`
	RequestRow map[string]json.RawMessage `json:"requestRow"`
	ShardID    string                     `json:"shardId"`
	EventType  string                     `json:"eventType"`
}

// Response is the transformation's answer. A nil ResponseRow with
// IsEventFiltered false leaves the change as it is.
type Response struct {
	ResponseRow     map[string]json.RawMessage `json:"responseRow"`
	IsEventFiltered bool                       `json:"isEventFiltered"`
}

// Transformer is a custom transformation.
type Transformer interface {
	ToSourceRow(ctx context.Context, req Request) (Response, error)
}

// Error is a transformation's failure on one change. It is severe: the
// same change fails the same way until the transformation or the data is
// fixed.
type Error struct {
	Table string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("custom transformation failed on a change of table %q: %v", e.Table, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// FailureClass makes the record severe.
func (e *Error) FailureClass() failure.Class { return failure.Severe }

// RequestFor builds the request for r, whose keys and new values are v:
// new values, then keys (keys win, as in the Java template).
func RequestFor(r record.Record, v record.Values) Request {
	row := make(map[string]json.RawMessage, len(v.New)+len(v.Keys))
	for _, m := range []map[string]json.RawMessage{v.New, v.Keys} {
		for k, val := range m {
			row[k] = val
		}
	}
	return Request{TableName: r.TableName, RequestRow: row, ShardID: r.Shard, EventType: r.ModType}
}

// Apply runs t on r, whose keys and new values are v. Failures come back
// as *Error.
func Apply(ctx context.Context, t Transformer, r record.Record, v record.Values) (Response, error) {
	resp, err := t.ToSourceRow(ctx, RequestFor(r, v))
	if err != nil {
		return Response{}, &Error{Table: r.TableName, Err: err}
	}
	return resp, nil
}
