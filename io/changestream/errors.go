package changestream

import (
	"fmt"
	"strings"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
)

// isTransient reports errors after which a partition is resumed from its
// last position rather than failed.
func isTransient(err error) bool {
	switch spanner.ErrCode(err) {
	case codes.Unavailable, codes.Aborted, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Internal:
		return true
	}
	return false
}

// explain adds the way out to errors a user can act on.
func explain(err error) error {
	if spanner.ErrCode(err) == codes.OutOfRange {
		msg := spanner.ErrDesc(err)
		switch {
		case strings.Contains(msg, "too far in the past"):
			return fmt.Errorf("the start timestamp is older than the change stream's retention period (or than the stream itself); "+
				"choose a later startTimestamp: %w", err)
		case strings.Contains(msg, "no longer valid"):
			return fmt.Errorf("the partition's records have expired from the change stream's retention period, "+
				"so changes were missed; re-seed MySQL and start again: %w", err)
		}
	}
	return err
}
