// Package errclass decides, in one place, whether a failed record is worth
// retrying (retryable: the cause may go away, e.g. a missing foreign-key
// parent or a lost connection) or not (severe: the same record will fail the
// same way until a person fixes data or schema).
package errclass

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// Class is the fate of a failed record.
type Class int

const (
	// Retryable records go to the DLQ's retry/ directory and come back.
	Retryable Class = iota
	// Severe records go to severe/ and wait for a person.
	Severe
)

func (c Class) String() string {
	if c == Severe {
		return "severe"
	}
	return "retryable"
}

// Permanent marks an error as severe whatever its cause, e.g. invalid input
// found before MySQL was reached.
type Permanent struct{ Err error }

func (p *Permanent) Error() string { return p.Err.Error() }
func (p *Permanent) Unwrap() error { return p.Err }

// MarkPermanent wraps err as severe.
func MarkPermanent(err error) error {
	if err == nil {
		return nil
	}
	return &Permanent{Err: err}
}

// mysqlClasses lists MySQL server errors by number. Numbers not listed are
// retryable, as in the Java template: an unknown failure is given the
// chance to go away before it needs a person.
var mysqlClasses = map[uint16]Class{
	1054: Severe, // unknown column
	1064: Severe, // SQL syntax
	1146: Severe, // table doesn't exist
	1048: Severe, // column cannot be null
	1264: Severe, // out of range value
	1292: Severe, // incorrect datetime/date value
	1366: Severe, // incorrect value for column (e.g. bad encoding)
	1406: Severe, // data too long
	1265: Severe, // data truncated
	// A duplicate entry: the writer never lets a row merge into another
	// one, so a clash means the change that frees the value (another key's,
	// or a concurrent insert) has not been applied yet. Retrying gives it
	// time; a value that stays taken runs out of retries and becomes severe.
	ErDupEntry: Retryable,
	1364:       Severe,    // a NOT NULL column without default is not written (no Spanner column)
	1136:       Severe,    // column count doesn't match value count
	3140:       Severe,    // invalid JSON text for a JSON column (MySQL)
	4025:       Retryable, // MariaDB's check constraint (MySQL's 3819)
	1216:       Retryable, // FK: parent row missing (older servers)
	1217:       Retryable, // FK: child rows exist (older servers)
	1142:       Severe,    // command denied (privileges)
	1044:       Severe,    // access denied to database
	1045:       Severe,    // access denied
	1452:       Retryable, // FK: parent row missing (parent may arrive later)
	1451:       Retryable, // FK: child rows exist (child delete may arrive later)
	3819:       Retryable, // check constraint (may pass after other rows change)
	1205:       Retryable, // lock wait timeout
	1213:       Retryable, // deadlock
	1053:       Retryable, // server shutdown
	1927:       Retryable, // MariaDB: connection killed (KILL, a proxy, a failover)
	4031:       Retryable, // MySQL: disconnected by the server (idle too long)
	1159:       Retryable, // net read interrupted
	1161:       Retryable, // net write interrupted
	2006:       Retryable, // server gone away
	2013:       Retryable, // lost connection
	1040:       Retryable, // too many connections
	1290:       Retryable, // read-only (e.g. during a failover)
}

// Classify returns the class of err.
func Classify(err error) Class {
	var p *Permanent
	if errors.As(err, &p) {
		return Severe
	}
	if convert.IsConversionError(err) || hasSevereCause(err) {
		return Severe
	}
	// A change the schemas and name mapping cannot turn into a row, or
	// that the custom transformation rejects, fails the same way again.
	var mapErr *mapping.Error
	var te *transformation.Error
	if errors.As(err, &mapErr) || errors.As(err, &te) {
		return Severe
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if c, ok := mysqlClasses[me.Number]; ok {
			return c
		}
		return Retryable
	}
	// Spanner errors of a record (reading its row back) are retryable
	// unless a severe cause above says otherwise: Spanner's own codes do
	// not tell a transient transaction problem from a lasting one.
	return Retryable
}

// ErDupEntry is MySQL's duplicate-entry error (ER_DUP_ENTRY), for any unique
// index, the primary key included.
const ErDupEntry = 1062

// IsDuplicateKey reports whether err is MySQL's duplicate-entry error.
func IsDuplicateKey(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == ErDupEntry
}

// IsConnectionError reports failures of the connection rather than of the
// statement: the whole batch should be retried, not split record by record.
func IsConnectionError(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1053, 1159, 1161, 1927, 4031, 2006, 2013, 1040, 1205, 1213, 1290:
			return true
		}
		return false
	}
	// A network error (dial, reset) has no MySQL number.
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne)
}
