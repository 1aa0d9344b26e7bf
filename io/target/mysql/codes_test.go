package mysql_test

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
	mysqldrv "github.com/go-sql-driver/mysql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// my is MySQL's error n as the writer sees it: classified where it arose.
func my(n uint16) error { return mysql.Classify(&mysqldrv.MySQLError{Number: n, Message: "test"}) }

// wrap buries err the way the writer does, so classification must see
// through wrapping.
func wrap(err error) error { return fmt.Errorf("table \"T\": MySQL: %w", err) }

func TestClasses(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want failure.Class
	}{
		// Data and syntax errors: the record fails the same way again.
		{"1064 syntax", my(1064), failure.Severe},
		{"1054 unknown column", my(1054), failure.Severe},
		{"1146 no such table", my(1146), failure.Severe},
		{"1406 data too long", my(1406), failure.Severe},
		{"1264 out of range", my(1264), failure.Severe},
		{"1292 bad datetime", my(1292), failure.Severe},
		{"1366 bad value", my(1366), failure.Severe},
		{"1048 null into NOT NULL", my(1048), failure.Severe},
		{"1364 NOT NULL without default not written", my(1364), failure.Severe},
		{"1062 duplicate entry: the change freeing the value has not arrived", my(mysql.ErDupEntry), failure.Retryable},
		{"1062 wrapped", fmt.Errorf("table t: %w", my(mysql.ErDupEntry)), failure.Retryable},
		{"1142 privileges", my(1142), failure.Severe},
		// Causes that may go away: another record, the server, the network.
		{"1452 FK parent missing", my(1452), failure.Retryable},
		{"1451 FK children exist", my(1451), failure.Retryable},
		{"3819 MySQL check constraint", my(3819), failure.Retryable},
		{"4025 MariaDB check constraint", my(4025), failure.Retryable},
		{"1205 lock wait timeout", my(1205), failure.Retryable},
		{"1213 deadlock", my(1213), failure.Retryable},
		{"1053 server shutdown", my(1053), failure.Retryable},
		{"1927 MariaDB connection killed", my(1927), failure.Retryable},
		{"4031 MySQL disconnected by the server", my(4031), failure.Retryable},
		{"1159 net read interrupted", my(1159), failure.Retryable},
		{"1161 net write interrupted", my(1161), failure.Retryable},
		{"2006 gone away", my(2006), failure.Retryable},
		{"2013 lost connection", my(2013), failure.Retryable},
		{"1040 too many connections", my(1040), failure.Retryable},
		{"1290 read-only", my(1290), failure.Retryable},
		{"unlisted MySQL error", my(4242), failure.Retryable},
		{"wrapped MySQL error", wrap(my(1406)), failure.Severe},
		// Found before MySQL.
		{"conversion", wrap(&spannervalue.ConversionError{Column: "c", Reason: "too long"}), failure.Severe},
		{"mapping", &mapping.Error{Table: "T", Err: errors.New("no primary key")}, failure.Severe},
		{"mapping wrapping a conversion", &mapping.Error{Table: "T", Column: "c", Err: &spannervalue.ConversionError{}}, failure.Severe},
		{"custom transformation", &transformation.Error{Table: "T", Err: errors.New("boom")}, failure.Severe},
		{"table not at source is not severe (skip)", fmt.Errorf("x: %w", mapping.ErrTableNotAtSource), failure.Retryable},
		{"permanent mark", failure.MarkSevere(errors.New("bad statement")), failure.Severe},
		// Spanner: a read beyond version retention is severe through its
		// cause (io/spannerread); codes alone say nothing lasting.
		{"Spanner FAILED_PRECONDITION (e.g. a lost transaction)", wrap(status.Error(codes.FailedPrecondition, "Invalid transaction ID")), failure.Retryable},
		{"Spanner UNAVAILABLE", status.Error(codes.Unavailable, "later"), failure.Retryable},
		// Anything else gets the chance to go away.
		{"plain error", errors.New("something"), failure.Retryable},
		{"bad connection", driver.ErrBadConn, failure.Retryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failure.Of(tt.err); got != tt.want {
				t.Errorf("failure.Of(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsConnection(t *testing.T) {
	for _, tt := range connectionTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := target.IsConnection(tt.err); got != tt.want {
				t.Errorf("target.IsConnection(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestConnectionErrorsAreRetryable: the writer sends a whole batch that
// failed with a connection error to the DLQ, where failure.Of picks the
// directory; none of those batches may land in severe/.
func TestConnectionErrorsAreRetryable(t *testing.T) {
	for _, tt := range connectionTests {
		if tt.want && failure.Of(tt.err) != failure.Retryable {
			t.Errorf("%s: target.IsConnection but failure.Of(%v) = %v", tt.name, tt.err, failure.Of(tt.err))
		}
	}
}

var connectionTests = []struct {
	name string
	err  error
	want bool
}{
	{"bad conn", driver.ErrBadConn, true},
	{"invalid conn", mysql.Classify(mysqldrv.ErrInvalidConn), true},
	{"deadline", context.DeadlineExceeded, true},
	{"gone away", my(2006), true},
	{"deadlock: retry the whole batch", my(1213), true},
	{"dial error", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
	// A stopped server, as the writer sees it: inside the metadata
	// transaction, so wrapped by the Spanner client too.
	{"connection refused in a Spanner transaction", spanner.ToSpannerError(fmt.Errorf("MySQL: starting a transaction: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})), true},
	{"connection lost at commit", spanner.ToSpannerError(fmt.Errorf("MySQL: commit: %w", mysql.Classify(mysqldrv.ErrInvalidConn))), true},
	{"1053 shutdown mid-statement", wrap(my(1053)), true},
	{"1927 MariaDB connection killed", wrap(my(1927)), true},
	{"4031 MySQL disconnected by the server", my(4031), true},
	{"data too long is the batch's content", my(1406), false},
	{"FK is the batch's content", my(1452), false},
	{"plain", errors.New("x"), false},
}

// TestUnreachable: lock wait timeouts and deadlocks fail the batch whole but
// say the shard answered; the others say nothing reached it.
func TestUnreachable(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"lock wait timeout", wrap(my(mysql.ErLockWaitTimeout)), false},
		{"deadlock", my(mysql.ErLockDeadlock), false},
		{"gone away", my(mysql.CrServerGone), true},
		{"invalid conn", mysql.Classify(mysqldrv.ErrInvalidConn), true},
		{"dial error", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{"data too long", my(mysql.ErDataTooLong), false},
		{"plain", errors.New("x"), false},
	} {
		if got := target.Unreachable(tt.err); got != tt.want {
			t.Errorf("%s: target.Unreachable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestClassifyKeepsText: the classified error reads as the driver's and
// still unwraps to it.
func TestClassifyKeepsText(t *testing.T) {
	raw := &mysqldrv.MySQLError{Number: mysql.ErDataTooLong, Message: "Data too long for column 'c'"}
	err := mysql.Classify(raw)
	var me *mysqldrv.MySQLError
	var te *target.Error
	if err.Error() != raw.Error() || !errors.As(err, &me) || !errors.As(err, &te) || te.Code != mysql.ErDataTooLong {
		t.Errorf("Classify(%v) = %#v", raw, err)
	}
	if again := mysql.Classify(err); again != err {
		t.Errorf("classifying twice wraps twice: %v", again)
	}
	if mysql.Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
}

// TestLockTableFullFailsTheAttempt (review rev16): InnoDB rolls the whole
// transaction back when its lock table is full (1206), unlike the errors
// that only undo their statement. Taken for one row's refusal, the unique
// path went on after it: the statements that followed ran outside any
// transaction, without the shadow rows' locks, and the versions recorded
// at the end covered changes the rollback had undone. It must fail the
// attempt, and still let the batch be split (a smaller one takes fewer
// locks).
func TestLockTableFullFailsTheAttempt(t *testing.T) {
	err := &target.BatchError{Target: "MySQL", Err: my(mysql.ErLockTableFull), SQL: "UPDATE ..."}
	if target.RowLevel(err) {
		t.Error("1206 is taken for one row's refusal")
	}
	if target.IsConnection(err) {
		t.Error("1206 is taken for a failure of the connection: the batch would not be split")
	}
	rows := []target.UniqueRow{{Idx: 0, Row: mapping.Row{Table: "T"}}, {Idx: 1, Row: mapping.Row{Table: "T"}}}
	writes := 0
	refused, aerr := target.ApplyUnique(context.Background(), target.Unique{
		Write: func(context.Context, mapping.Row) error {
			if writes++; writes == 1 {
				return err
			}
			return nil
		},
		Clash:    mysql.IsDuplicateKey,
		Reinsert: func(context.Context, []target.UniqueRow) ([]target.UniqueRow, error) { return nil, nil },
	}, rows)
	if aerr == nil || writes != 1 {
		t.Errorf("ApplyUnique after a 1206: refused %v, error %v, %d writes; want the attempt failed at once", refused, aerr, writes)
	}
}
