package streamquery

import (
	"fmt"
	"strings"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
)

// IsTransient reports errors after which a partition is read again from
// its last position rather than failed: the server or the network had a
// moment, nothing is wrong with the query itself.
func IsTransient(err error) bool {
	switch spanner.ErrCode(err) {
	case codes.Unavailable, codes.Aborted, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Internal:
		return true
	}
	return false
}

// Explain adds what went wrong and the way out to the errors a user can act
// on; others come back unchanged.
func Explain(err error) error {
	if spanner.ErrCode(err) != codes.OutOfRange {
		return err
	}
	msg := spanner.ErrDesc(err)
	switch {
	case strings.Contains(msg, "too far in the past"):
		return fmt.Errorf("the start timestamp is outside the change stream's retention period "+
			"(or earlier than the stream's creation), so its changes can no longer be read; "+
			"relaunch with a later startTimestamp, or with a new spannerMetadataTableName, "+
			"and re-seed MySQL for the changes in between: %w", err)
	case strings.Contains(msg, "no longer valid"):
		return fmt.Errorf("the partition's changes have expired from the change stream's retention period "+
			"(the job was stopped or behind for longer than the retention), so changes were missed; "+
			"re-seed MySQL and start a new replication with a new spannerMetadataTableName: %w", err)
	case strings.Contains(msg, "invalid for the partition"):
		return fmt.Errorf("the partition metadata table asks for a position outside the partition's lifetime, "+
			"which means it does not belong to this change stream's current state; "+
			"start a new replication with a new spannerMetadataTableName: %w", err)
	}
	return err
}
