package postgresql

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code                 string
		class                failure.Class
		wholeBatch, answered bool
	}{
		{ForeignKeyViolation, failure.Retryable, false, false},
		{UniqueViolation, failure.Retryable, false, false},
		{SerializationFailure, failure.Retryable, true, true},
		{DeadlockDetected, failure.Retryable, true, true},
		{"08006", failure.Retryable, true, false},
		{AdminShutdown, failure.Retryable, true, false},
		{CannotConnectNow, failure.Retryable, true, false},
		{ReadOnlyTransaction, failure.Retryable, true, true},
		{"22001", failure.Severe, false, false}, // string_data_right_truncation
		{"22003", failure.Severe, false, false}, // numeric_value_out_of_range
		{InvalidTextRepresentation, failure.Severe, false, false},
		{CheckViolation, failure.Severe, false, false},
		{NotNullViolation, failure.Severe, false, false},
		{UndefinedColumn, failure.Severe, false, false},
		{InsufficientPrivilege, failure.Severe, false, false},
		// A statement the connection prepared is out of date (prepared_test.go).
		{DatatypeMismatch, failure.Retryable, true, true},
		{UndefinedFunction, failure.Retryable, true, true},
		{InvalidStatementName, failure.Retryable, true, true},
		{DuplicatePreparedStmt, failure.Retryable, true, true},
		{"XX000", failure.Retryable, false, false}, // internal_error: unlisted, given the chance to pass
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			raw := &pgconn.PgError{Severity: "ERROR", Code: tt.code, Message: "boom", Detail: "Key (id)=(1)"}
			err := Classify(fmt.Errorf("exec: %w", raw))
			var te *target.Error
			if !errors.As(err, &te) {
				t.Fatalf("not classified: %v", err)
			}
			if te.SQLState != tt.code || te.Class != tt.class || te.WholeBatch != tt.wholeBatch || te.Answered != tt.answered {
				t.Errorf("got %+v", te)
			}
			if failure.Of(err) != tt.class {
				t.Errorf("failure.Of = %v", failure.Of(err))
			}
			if !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "Key (id)=(1)") || !strings.Contains(err.Error(), tt.code) {
				t.Errorf("message %q lacks PostgreSQL's message, detail or SQLSTATE", err)
			}
			if target.IsConnection(err) != tt.wholeBatch {
				t.Errorf("IsConnection = %v", target.IsConnection(err))
			}
		})
	}
	if err := Classify(io.ErrUnexpectedEOF); !target.IsConnection(err) || !target.Unreachable(err) {
		t.Errorf("a lost connection: %v", err)
	}
	if Classify(nil) != nil {
		t.Error("nil")
	}
}
