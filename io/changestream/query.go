package changestream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/api/iterator"
)

// Query reads one change-stream partition between two timestamps.
type Query struct {
	Stream          string
	Token           string // "" = the initial query (NULL partition token)
	Start, End      time.Time
	HeartbeatMillis int64
	Priority        spannerpb.RequestOptions_Priority
	Postgres        bool
}

// Statement builds the TVF call. The emulator and production both require a
// single-use read-only transaction and literal or parameter arguments only.
func (q Query) Statement() spanner.Statement {
	var token any
	if q.Token != "" {
		token = q.Token
	}
	if q.Postgres {
		return spanner.Statement{
			SQL: fmt.Sprintf(`SELECT * FROM "spanner"."read_json_%s"($1, $2, $3, $4, null)`, q.Stream),
			Params: map[string]any{
				"p1": q.Start, "p2": q.End, "p3": token, "p4": q.HeartbeatMillis,
			},
		}
	}
	return spanner.Statement{
		SQL: fmt.Sprintf("SELECT ChangeRecord FROM READ_%s(start_timestamp => @start, end_timestamp => @end, "+
			"partition_token => @token, heartbeat_milliseconds => @heartbeat)", quoteGoogleSQLIdent(q.Stream)),
		Params: map[string]any{
			"start": q.Start, "end": q.End, "token": token, "heartbeat": q.HeartbeatMillis,
		},
	}
}

// Run executes the query and hands every item to fn, in stream order. It
// stops at the first error from fn or from Spanner.
func (q Query) Run(ctx context.Context, client *spanner.Client, fn func(Item) error) error {
	iter := client.Single().QueryWithOptions(ctx, q.Statement(), spanner.QueryOptions{Priority: q.Priority})
	defer iter.Stop()
	for {
		row, err := iter.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return err
		}
		var items []Item
		if q.Postgres {
			items, err = decodePostgresRow(row, q.Token)
		} else {
			items, err = decodeGoogleSQLRow(row, q.Token)
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

// quoteGoogleSQLIdent keeps the stream name usable inside READ_<name>: the
// TVF name is an identifier, so only identifier characters may reach it.
func quoteGoogleSQLIdent(name string) string {
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			// Validation at launch rejects such names; this is a last guard.
			return "invalid_stream_name"
		}
	}
	return name
}
