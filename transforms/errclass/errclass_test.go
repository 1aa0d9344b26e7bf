package errclass

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"cloud.google.com/go/spanner"
	"github.com/go-sql-driver/mysql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

func my(n uint16) error { return &mysql.MySQLError{Number: n, Message: "test"} }

// wrap buries err the way the writer does, so classification must see
// through wrapping.
func wrap(err error) error { return fmt.Errorf("table \"T\": MySQL: %w", err) }

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Class
	}{
		// Data and syntax errors: the record fails the same way again.
		{"1064 syntax", my(1064), Severe},
		{"1054 unknown column", my(1054), Severe},
		{"1146 no such table", my(1146), Severe},
		{"1406 data too long", my(1406), Severe},
		{"1264 out of range", my(1264), Severe},
		{"1292 bad datetime", my(1292), Severe},
		{"1366 bad value", my(1366), Severe},
		{"1048 null into NOT NULL", my(1048), Severe},
		{"1364 NOT NULL without default not written", my(1364), Severe},
		{"1062 duplicate entry: the change freeing the value has not arrived", my(ErDupEntry), Retryable},
		{"1062 wrapped", fmt.Errorf("table t: %w", my(ErDupEntry)), Retryable},
		{"1142 privileges", my(1142), Severe},
		// Causes that may go away: another record, the server, the network.
		{"1452 FK parent missing", my(1452), Retryable},
		{"1451 FK children exist", my(1451), Retryable},
		{"3819 MySQL check constraint", my(3819), Retryable},
		{"4025 MariaDB check constraint", my(4025), Retryable},
		{"1205 lock wait timeout", my(1205), Retryable},
		{"1213 deadlock", my(1213), Retryable},
		{"1053 server shutdown", my(1053), Retryable},
		{"1927 MariaDB connection killed", my(1927), Retryable},
		{"4031 MySQL disconnected by the server", my(4031), Retryable},
		{"1159 net read interrupted", my(1159), Retryable},
		{"1161 net write interrupted", my(1161), Retryable},
		{"2006 gone away", my(2006), Retryable},
		{"2013 lost connection", my(2013), Retryable},
		{"1040 too many connections", my(1040), Retryable},
		{"1290 read-only", my(1290), Retryable},
		{"unlisted MySQL error", my(4242), Retryable},
		{"wrapped MySQL error", wrap(my(1406)), Severe},
		// Found before MySQL.
		{"conversion", wrap(&convert.ConversionError{Column: "c", Reason: "too long"}), Severe},
		{"mapping", &mapping.Error{Table: "T", Err: errors.New("no primary key")}, Severe},
		{"mapping wrapping a conversion", &mapping.Error{Table: "T", Column: "c", Err: &convert.ConversionError{}}, Severe},
		{"custom transformation", &transformation.Error{Table: "T", Err: errors.New("boom")}, Severe},
		{"table not at source is not severe (skip)", fmt.Errorf("x: %w", mapping.ErrTableNotAtSource), Retryable},
		{"permanent mark", MarkPermanent(errors.New("bad statement")), Severe},
		// Spanner: a read beyond version retention is severe through its
		// cause (causes_test.go); codes alone say nothing lasting.
		{"Spanner FAILED_PRECONDITION (e.g. a lost transaction)", wrap(status.Error(codes.FailedPrecondition, "Invalid transaction ID")), Retryable},
		{"Spanner UNAVAILABLE", status.Error(codes.Unavailable, "later"), Retryable},
		// Anything else gets the chance to go away.
		{"plain error", errors.New("something"), Retryable},
		{"bad connection", driver.ErrBadConn, Retryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsConnectionError(t *testing.T) {
	for _, tt := range connectionTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsConnectionError(tt.err); got != tt.want {
				t.Errorf("IsConnectionError(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestConnectionErrorsAreRetryable: the writer sends a whole batch that
// failed with a connection error to the DLQ, where Classify picks the
// directory; none of those batches may land in severe/.
func TestConnectionErrorsAreRetryable(t *testing.T) {
	for _, tt := range connectionTests {
		if tt.want && Classify(tt.err) != Retryable {
			t.Errorf("%s: IsConnectionError but Classify(%v) = %v", tt.name, tt.err, Classify(tt.err))
		}
	}
}

var connectionTests = []struct {
	name string
	err  error
	want bool
}{
	{"bad conn", driver.ErrBadConn, true},
	{"invalid conn", mysql.ErrInvalidConn, true},
	{"deadline", context.DeadlineExceeded, true},
	{"gone away", my(2006), true},
	{"deadlock: retry the whole batch", my(1213), true},
	{"dial error", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
	// A stopped server, as the writer sees it: inside the metadata
	// transaction, so wrapped by the Spanner client too.
	{"connection refused in a Spanner transaction", spanner.ToSpannerError(fmt.Errorf("MySQL: starting a transaction: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})), true},
	{"connection lost at commit", spanner.ToSpannerError(fmt.Errorf("MySQL: commit: %w", mysql.ErrInvalidConn)), true},
	{"1053 shutdown mid-statement", wrap(my(1053)), true},
	{"1927 MariaDB connection killed", wrap(my(1927)), true},
	{"4031 MySQL disconnected by the server", my(4031), true},
	{"data too long is the batch's content", my(1406), false},
	{"FK is the batch's content", my(1452), false},
	{"plain", errors.New("x"), false},
}
