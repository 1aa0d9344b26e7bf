package routing

import (
	"context"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// Router picks the shard of each change in multi-shard mode.
type Router struct {
	// Shards holds the logical shard ids of the shard file.
	Shards map[string]bool
	// SkipDir is skipDirectoryName; a fetcher returning it skips the change.
	SkipDir string
	Tables  Tables
	// Fetcher picks the shard; nil means the shard-id column.
	Fetcher Fetcher
}

// Route returns the change's shard id, or an error saying why there is
// none: mapping.ErrTableNotAtSource and ErrSkip send the change to the skip
// directory, the others are classified by pure/failure.
func (r Router) Route(ctx context.Context, req Request) (string, error) {
	if !r.Tables.AtSource(req.TableName) {
		return "", fmt.Errorf("table %q: %w", req.TableName, mapping.ErrTableNotAtSource)
	}
	f := r.Fetcher
	if f == nil {
		f = ColumnFetcher{Tables: r.Tables}
	}
	id, err := f.ShardID(ctx, req)
	if err != nil {
		return "", err
	}
	switch {
	case id == r.SkipDir && r.SkipDir != "":
		return "", fmt.Errorf("table %q: %w", req.TableName, ErrSkip)
	case id == "":
		return "", fmt.Errorf("table %q: empty shard id: %w", req.TableName, ErrInvalidShardID)
	case strings.Contains(id, "/"):
		return "", fmt.Errorf("table %q: shard id %q contains '/': %w", req.TableName, id, ErrInvalidShardID)
	case !r.Shards[id]:
		return "", fmt.Errorf("table %q: shard id %q: %w", req.TableName, id, ErrUnknownShard)
	}
	return id, nil
}
