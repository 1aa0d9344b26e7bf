package meta

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestLostTransaction(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{status.Error(codes.Aborted, "Transaction was aborted"), true},
		{status.Error(codes.NotFound, "Transaction not found: 8"), true},
		{status.Error(codes.FailedPrecondition, "Invalid transaction ID. Transaction ID must be >= 51"), true},
		{status.Error(codes.FailedPrecondition, "Cannot read or query using a transaction after it has been committed or rolledback."), true},
		{status.Error(codes.NotFound, "Table not found: Metadata_x"), false},
		{status.Error(codes.FailedPrecondition, "Cannot specify a null value for column"), false},
		{status.Error(codes.Unavailable, "connection reset"), false}, // the caller's retry policy
		{errors.New("plain"), false},
	}
	for _, tc := range tests {
		if got := lostTransaction(tc.err); got != tc.want {
			t.Errorf("lostTransaction(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
