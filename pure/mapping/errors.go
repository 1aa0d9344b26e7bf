package mapping

import (
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// ErrTableNotAtSource marks a change to a table that MySQL does not have;
// such records go to the skip directory rather than failing.
var ErrTableNotAtSource = errors.New("table does not exist at the source")

// Error is a change that cannot be turned into a MySQL row as the schemas
// and the name mapping stand: no source primary key, a key column without
// a value, a value MySQL cannot hold. The same record fails the same way
// until someone changes a schema or the mapping: severe.
type Error struct {
	Table  string // Spanner table
	Column string // source column, when one is at fault
	Err    error
}

func (e *Error) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("table %q: %v", e.Table, e.Err)
	}
	return fmt.Sprintf("table %q column %q: %v", e.Table, e.Column, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// FailureClass makes the record severe.
func (e *Error) FailureClass() failure.Class { return failure.Severe }

func tableErr(table string, format string, args ...any) error {
	return &Error{Table: table, Err: fmt.Errorf(format, args...)}
}
