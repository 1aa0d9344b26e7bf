package errclass

import (
	"errors"

	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
)

// severeCauses are failures found before MySQL is reached that retrying
// cannot cure; why each is severe is said where it is declared.
// routing.ErrUnknownShard is deliberately absent: a relaunch with a fuller
// shard file cures it, so it is retryable as in the Java template.
var severeCauses = []error{
	routing.ErrNoShardIDColumn,
	routing.ErrInvalidShardID,
	spannerread.ErrRowNotFound,
	spannerread.ErrBeyondRetention,
}

func hasSevereCause(err error) bool {
	for _, c := range severeCauses {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}
