package errclass

import (
	"fmt"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
)

func TestRoutingAndReadCauses(t *testing.T) {
	tests := []struct {
		err  error
		want Class
	}{
		{routing.ErrNoShardIDColumn, Severe},
		{routing.ErrInvalidShardID, Severe},
		{routing.ErrUnknownShard, Retryable},
		{spannerread.ErrRowNotFound, Severe},
		{spannerread.ErrBeyondRetention, Severe},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("table %q: %w", "T", tt.err)
		if got := Classify(wrapped); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", wrapped, got, tt.want)
		}
	}
}
