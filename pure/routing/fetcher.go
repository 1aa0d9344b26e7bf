package routing

import (
	"context"
	"fmt"
	"strconv"

	"github.com/revrepl/spanner-to-sourcedb/pure/registry"
)

// Request is what a shard fetcher is asked: the Spanner table and the
// changed row's column values (see SpannerRecord). Its JSON form is what a
// WebAssembly shard module receives.
type Request struct {
	TableName     string         `json:"tableName"`
	SpannerRecord map[string]any `json:"spannerRecord"`
}

// Response is a WebAssembly shard module's answer.
type Response struct {
	LogicalShardID string `json:"logicalShardId"`
}

// Fetcher returns the logical shard id of a change. Returning the skip
// directory's name skips the change.
type Fetcher interface {
	ShardID(ctx context.Context, req Request) (string, error)
}

// ColumnFetcher is the default fetcher: the shard id is the value of the
// table's shard-id column.
type ColumnFetcher struct {
	Tables Tables
}

// ShardID implements Fetcher.
func (f ColumnFetcher) ShardID(_ context.Context, req Request) (string, error) {
	col, ok := f.Tables.ShardIDColumn(req.TableName)
	if !ok {
		return "", fmt.Errorf("table %q: %w (give a session file that names one, or a custom shard fetcher)", req.TableName, ErrNoShardIDColumn)
	}
	v, ok := req.SpannerRecord[col]
	if !ok {
		return "", fmt.Errorf("table %q: the record has no value for shard-id column %q: %w", req.TableName, col, ErrInvalidShardID)
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case nil:
		return "", fmt.Errorf("table %q: shard-id column %q is NULL: %w", req.TableName, col, ErrInvalidShardID)
	}
	return "", fmt.Errorf("table %q: shard-id column %q holds %T, not a string: %w", req.TableName, col, v, ErrInvalidShardID)
}

// Factory makes a compiled-in fetcher from shardingCustomParameters.
type Factory func(params string) (Fetcher, error)

// Fetchers holds the compiled-in fetchers (shardingCustomClassName alone).
var Fetchers = registry.New[Fetcher](registry.Names{
	Class: "shardingCustomClassName", Params: "shardingCustomParameters", Jar: "shardingCustomJarPath",
	Noun: "shard fetcher", Function: "shard",
})

// Register makes a Go fetcher available as shardingCustomClassName name.
// Call it from init(); a second registration of a name panics.
func Register(name string, f Factory) { Fetchers.Register(name, f) }

// New makes the registered fetcher name with its parameters.
func New(name, params string) (Fetcher, error) { return Fetchers.New(name, params) }

// Registered lists the registered names.
func Registered() []string { return Fetchers.Names() }
