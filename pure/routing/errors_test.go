package routing_test

import (
	"fmt"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
)

// TestErrorClasses: routing failures that retrying cannot cure are severe;
// an unknown shard waits for a relaunch with a fuller shard file.
func TestErrorClasses(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want failure.Class
	}{
		{routing.ErrNoShardIDColumn, failure.Severe},
		{routing.ErrInvalidShardID, failure.Severe},
		{routing.ErrUnknownShard, failure.Retryable},
		{routing.ErrSkip, failure.Retryable},
	} {
		wrapped := fmt.Errorf("table %q: %w", "T", tt.err)
		if got := failure.Of(wrapped); got != tt.want {
			t.Errorf("failure.Of(%v) = %v, want %v", wrapped, got, tt.want)
		}
	}
}
