package streamquery

import (
	"fmt"
	"regexp"
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
	if name, ok := MissingStream(err); ok {
		return fmt.Errorf("change stream %s does not exist in the database (changeStreamName is wrong, or the stream was dropped): %w", name, err)
	}
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

// readFunctionMissing matches the error of a GoogleSQL query on a change
// stream that does not exist: its read function READ_<name> is unknown.
var readFunctionMissing = regexp.MustCompile(`Table-valued function not found: READ_(\w+)`)

// MissingStream returns the change stream that err says does not exist.
func MissingStream(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	m := readFunctionMissing.FindStringSubmatch(spanner.ErrDesc(err))
	if m == nil {
		return "", false
	}
	return m[1], true
}
