package routing

import (
	"errors"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// The routing failures. The severe ones say so (failure.NewSevere); the
// comments say why each is what it is.
var (
	// ErrSkip: the fetcher returned the skip directory's name, the
	// custom fetchers' way of saying "do not replicate this change".
	ErrSkip = errors.New("the shard fetcher chose to skip the record")
	// ErrNoShardIDColumn (severe): without a shard-id column for the table
	// no retry can find a shard; the session file must name one.
	ErrNoShardIDColumn = failure.NewSevere("no shard-id column is known for the table")
	// ErrInvalidShardID (severe): an empty, null or malformed shard id is
	// in the data and stays wrong until someone fixes the row.
	ErrInvalidShardID = failure.NewSevere("invalid logical shard id")
	// ErrUnknownShard (retryable): the shard may be added to the shard
	// file by a relaunch, as in the Java template.
	ErrUnknownShard = errors.New("logical shard id is not in the shard file")
)
