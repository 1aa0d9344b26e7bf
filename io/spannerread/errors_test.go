package spannerread

import (
	"fmt"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// TestErrorClasses: a deleted row that cannot be read back fails the same
// way on every retry.
func TestErrorClasses(t *testing.T) {
	for _, err := range []error{ErrRowNotFound, ErrBeyondRetention} {
		wrapped := fmt.Errorf("table %q: %w", "T", err)
		if got := failure.Of(wrapped); got != failure.Severe {
			t.Errorf("failure.Of(%v) = %v, want severe", wrapped, got)
		}
	}
}
