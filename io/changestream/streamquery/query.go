// Package streamquery runs one change-stream partition query (the
// READ_<stream> table-valued function, or spanner.read_json_<stream> in a
// PostgreSQL-dialect database) and hands its records over in stream order.
// It knows the protocol's errors: which ones a reader should retry and what
// the fatal ones mean for the user.
package streamquery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
)

// Query reads one change-stream partition between two timestamps, both
// inclusive.
type Query struct {
	Stream          string
	Token           string // "" = the initial query (NULL partition token)
	Start, End      time.Time
	HeartbeatMillis int64
	Priority        spannerpb.RequestOptions_Priority
	Postgres        bool
}

// Statement builds the TVF call. Spanner requires literal or parameter
// arguments only, and the stream name is an identifier: launch-time
// validation only lets identifier characters through.
func (q Query) Statement() spanner.Statement {
	var token any
	if q.Token != "" {
		token = q.Token
	}
	if q.Postgres {
		return spanner.Statement{
			SQL: fmt.Sprintf(`SELECT * FROM "spanner"."read_json_%s"($1, $2, $3, $4, null)`, identifier(q.Stream)),
			Params: map[string]any{
				"p1": q.Start, "p2": q.End, "p3": token, "p4": q.HeartbeatMillis,
			},
		}
	}
	return spanner.Statement{
		SQL: fmt.Sprintf("SELECT ChangeRecord FROM READ_%s(start_timestamp => @start, end_timestamp => @end, "+
			"partition_token => @token, heartbeat_milliseconds => @heartbeat)", identifier(q.Stream)),
		Params: map[string]any{
			"start": q.Start, "end": q.End, "token": token, "heartbeat": q.HeartbeatMillis,
		},
	}
}

// Run executes the query in a single-use read-only transaction (the only
// kind Spanner accepts for change streams) and calls fn for every item, in
// stream order. It stops at the first error from fn or from Spanner and
// returns it unchanged, so callers can recognise their own sentinel errors.
func (q Query) Run(ctx context.Context, client *spanner.Client, fn func(decode.Item) error) error {
	iter := client.Single().QueryWithOptions(ctx, q.Statement(), spanner.QueryOptions{Priority: q.Priority})
	defer iter.Stop()
	var dec decode.GoogleSQL
	var items []decode.Item
	for {
		row, err := iter.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return err
		}
		var col spanner.GenericColumnValue
		if err := row.Column(0, &col); err != nil {
			return fmt.Errorf("partition %q: %w", q.Token, err)
		}
		items = items[:0]
		if q.Postgres {
			// One JSONB record per row; a NULL row carries nothing.
			if text, ok := col.Value.GetKind().(*structpb.Value_StringValue); ok {
				items, err = decode.Postgres([]byte(text.StringValue), q.Token)
			}
		} else {
			items, err = dec.Decode(col.Type, col.Value, q.Token, items)
		}
		if err != nil {
			return fmt.Errorf("partition %q: %w", q.Token, err)
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
}

// identifier keeps the stream name usable inside the function name.
func identifier(name string) string {
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "invalid_stream_name"
		}
	}
	return name
}
