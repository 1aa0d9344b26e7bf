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

// RequestFor builds the request for r: new values, then keys (keys win,
// as in the Java template).
func RequestFor(r record.Record) (Request, error) {
	row := map[string]json.RawMessage{}
	for _, doc := range []string{r.Mod.NewValuesJSON, r.Mod.KeysJSON} {
		if doc == "" {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(doc), &m); err != nil {
			return Request{}, fmt.Errorf("table %q: %.200s is not a JSON object: %w", r.TableName, doc, err)
		}
		for k, v := range m {
			row[k] = v
		}
	}
	return Request{TableName: r.TableName, RequestRow: row, ShardID: r.Shard, EventType: r.ModType}, nil
}

// Apply runs t on r. Failures, including a request that cannot be built,
// come back as *Error.
func Apply(ctx context.Context, t Transformer, r record.Record) (Response, error) {
	req, err := RequestFor(r)
	if err != nil {
		return Response{}, &Error{Table: r.TableName, Err: err}
	}
	resp, err := t.ToSourceRow(ctx, req)
	if err != nil {
		return Response{}, &Error{Table: r.TableName, Err: err}
	}
	return resp, nil
}
