package target

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// Error is a target database's error, classified where it arose (by the
// target's table of error codes). Its text is Err's.
type Error struct {
	Code int // the server's error number; 0 for a client-side failure
	// SQLState is the server's SQLSTATE when the target reports errors by
	// it (PostgreSQL), "" otherwise.
	SQLState string
	Class    failure.Class // the record's fate when this error fails it
	// WholeBatch: a failure of the connection or of the whole transaction
	// rather than of one statement; the batch is retried whole, not split
	// record by record.
	WholeBatch bool
	// Answered: the server answered (a lock wait timeout, a deadlock): the
	// shard is reachable although the batch failed whole.
	Answered bool
	// Aborted: the server rolled the whole transaction back for a reason
	// the batch itself may cause (InnoDB's lock table full), where most
	// statement errors only undo their statement. Nothing of the attempt
	// is left, so the error is no row's refusal (RowLevel is false): the
	// attempt fails; but a smaller batch may pass, so, unlike WholeBatch,
	// the batch is split.
	Aborted bool
	Err     error
}

func (e *Error) Error() string               { return e.Err.Error() }
func (e *Error) Unwrap() error               { return e.Err }
func (e *Error) FailureClass() failure.Class { return e.Class }

// IsConnection reports failures of the connection rather than of the
// statement: the whole batch should be retried, not split record by record.
func IsConnection(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var te *Error
	if errors.As(err, &te) {
		return te.WholeBatch
	}
	// A network error (dial, reset) has no error number.
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne)
}

// Unreachable tells connection failures from a shard that answered: lock
// wait timeouts and deadlocks are connection errors (the batch is retried
// whole), but they say nothing about reaching the shard.
func Unreachable(err error) bool {
	if !IsConnection(err) {
		return false
	}
	var te *Error
	return !errors.As(err, &te) || !te.Answered
}

// BatchError is a failure caused by the content of a batch: the target
// rejected a statement, or its SQL could not be built. Splitting the batch
// isolates the record at fault; other failures (Spanner, a lost
// connection) are not.
type BatchError struct {
	Target string // the target's Name, for the message
	Err    error
	SQL    string
}

func (e *BatchError) Error() string {
	if e.SQL == "" {
		return e.Err.Error()
	}
	sql := e.SQL
	if len(sql) > 200 {
		sql = sql[:200] + "..."
	}
	return fmt.Sprintf("%s: %v (statement: %s)", e.Target, e.Err, sql)
}

func (e *BatchError) Unwrap() error { return e.Err }

// Code is what one of a target's error codes means to the writer: the
// entries of each target's table of codes (MySQL's error numbers,
// PostgreSQL's SQLSTATEs). The zero Code, for a code the table does not
// list, is a retryable statement error, as in the Java template: an
// unknown failure is given the chance to go away before it needs a person.
type Code struct {
	Class failure.Class
	// WholeBatch: a failure of the connection or transaction: retry the
	// batch whole.
	WholeBatch bool
	// Answered: the server answered: the shard is reachable.
	Answered bool
	// Aborted: the transaction was rolled back whole, the batch may be
	// at fault (Error.Aborted).
	Aborted bool
}

// Error is err classified as c says.
func (c Code) Error(err error) *Error {
	return &Error{Class: c.Class, WholeBatch: c.WholeBatch, Answered: c.Answered, Aborted: c.Aborted, Err: err}
}

// ConnectionLost is err, a lost connection, classified: retryable, and
// the batch is retried whole.
func ConnectionLost(err error) *Error {
	return &Error{Class: failure.Retryable, WholeBatch: true, Err: err}
}

// Classify is the frame of a target's classification of its driver's
// errors: nil and errors already classified (an *Error in the chain) come
// back as they are, every other error as known classifies it, or as it
// is when known returns nil (not a driver error).
func Classify(err error, known func(error) *Error) error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		return err
	}
	if e := known(err); e != nil {
		return e
	}
	return err
}
