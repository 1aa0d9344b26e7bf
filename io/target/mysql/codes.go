package mysql

import (
	"errors"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// MySQL and MariaDB error numbers the writer and the launch checks act on
// (ER_* are server errors, CR_* client errors).
const (
	ErConCount               = 1040 // too many connections
	ErDBAccessDenied         = 1044 // access denied to the database
	ErAccessDenied           = 1045 // access denied (login)
	ErBadNull                = 1048 // column cannot be null
	ErServerShutdown         = 1053 // server shutdown in progress
	ErBadField               = 1054 // unknown column
	ErDupEntry               = 1062 // duplicate entry, for any unique index, the primary key included
	ErParse                  = 1064 // SQL syntax
	ErColumnCount            = 1136 // column count doesn't match value count
	ErTableAccessDenied      = 1142 // command denied (privileges)
	ErNoSuchTable            = 1146 // table doesn't exist
	ErNetReadInterrupted     = 1159
	ErNetWriteInterrupted    = 1161
	ErLockWaitTimeout        = 1205
	ErLockTableFull          = 1206 // InnoDB's locks exhausted the buffer pool: the whole transaction is rolled back
	ErLockDeadlock           = 1213
	ErNoReferencedRowOld     = 1216 // FK: parent row missing (older servers)
	ErRowIsReferencedOld     = 1217 // FK: child rows exist (older servers)
	ErDataOutOfRange         = 1264
	ErDataTruncated          = 1265
	ErReadOnly               = 1290 // read-only (e.g. during a failover)
	ErTruncatedWrongValue    = 1292 // incorrect datetime/date value
	ErNoDefault              = 1364 // a NOT NULL column without default is not written
	ErIncorrectValue         = 1366 // incorrect value for column (e.g. bad encoding)
	ErDataTooLong            = 1406
	ErRowIsReferenced        = 1451 // FK: child rows exist
	ErNoReferencedRow        = 1452 // FK: parent row missing
	ErConnectionKilled       = 1927 // MariaDB: connection killed (KILL, a proxy, a failover)
	CrServerGone             = 2006 // server gone away
	CrServerLost             = 2013 // lost connection
	ErInvalidJSON            = 3140 // invalid JSON text for a JSON column (MySQL)
	ErCheckConstraint        = 3819 // MySQL's check constraint
	ErCheckConstraintMariaDB = 4025 // MariaDB's check constraint
	ErClientIdleTimeout      = 4031 // MySQL: disconnected by the server (idle too long)
)

// codes lists MySQL errors by number. Numbers not listed are retryable
// statement errors (the zero target.Code).
var codes = map[uint16]target.Code{
	// Data and syntax: the record fails the same way again.
	ErBadField:            {Class: failure.Severe},
	ErParse:               {Class: failure.Severe},
	ErNoSuchTable:         {Class: failure.Severe},
	ErBadNull:             {Class: failure.Severe},
	ErDataOutOfRange:      {Class: failure.Severe},
	ErTruncatedWrongValue: {Class: failure.Severe},
	ErIncorrectValue:      {Class: failure.Severe},
	ErDataTooLong:         {Class: failure.Severe},
	ErDataTruncated:       {Class: failure.Severe},
	ErNoDefault:           {Class: failure.Severe},
	ErColumnCount:         {Class: failure.Severe},
	ErInvalidJSON:         {Class: failure.Severe},
	ErTableAccessDenied:   {Class: failure.Severe},
	ErDBAccessDenied:      {Class: failure.Severe},
	ErAccessDenied:        {Class: failure.Severe},
	// A duplicate entry: the writer never lets a row merge into another
	// one, so a clash means the change that frees the value (another key's,
	// or a concurrent insert) has not been applied yet. Retrying gives it
	// time; a value that stays taken runs out of retries and becomes severe.
	ErDupEntry: {Class: failure.Retryable},
	// Other rows may change: a parent may arrive, a child delete may come.
	ErNoReferencedRowOld:     {Class: failure.Retryable},
	ErRowIsReferencedOld:     {Class: failure.Retryable},
	ErNoReferencedRow:        {Class: failure.Retryable},
	ErRowIsReferenced:        {Class: failure.Retryable},
	ErCheckConstraint:        {Class: failure.Retryable},
	ErCheckConstraintMariaDB: {Class: failure.Retryable},
	// The server answered, but the transaction failed whole.
	ErLockWaitTimeout: {Class: failure.Retryable, WholeBatch: true, Answered: true},
	ErLockDeadlock:    {Class: failure.Retryable, WholeBatch: true, Answered: true},
	// The transaction was rolled back whole (InnoDB undoes only the
	// statement for the errors above, but all of it here), and the
	// batch's size may be the cause: the attempt fails, the batch is
	// split.
	ErLockTableFull: {Class: failure.Retryable, Aborted: true},
	// The connection or the server failed.
	ErServerShutdown:      {Class: failure.Retryable, WholeBatch: true},
	ErConnectionKilled:    {Class: failure.Retryable, WholeBatch: true},
	ErClientIdleTimeout:   {Class: failure.Retryable, WholeBatch: true},
	ErNetReadInterrupted:  {Class: failure.Retryable, WholeBatch: true},
	ErNetWriteInterrupted: {Class: failure.Retryable, WholeBatch: true},
	CrServerGone:          {Class: failure.Retryable, WholeBatch: true},
	CrServerLost:          {Class: failure.Retryable, WholeBatch: true},
	ErConCount:            {Class: failure.Retryable, WholeBatch: true},
	ErReadOnly:            {Class: failure.Retryable, WholeBatch: true},
}

// Classify wraps a MySQL driver error into a *target.Error that carries its
// class; other errors, nil and errors already classified come back as they
// are. The writer calls it on every error of a MySQL call.
func Classify(err error) error {
	return target.Classify(err, func(err error) *target.Error {
		var me *driver.MySQLError
		if errors.As(err, &me) {
			e := codes[me.Number].Error(err)
			e.Code = int(me.Number)
			return e
		}
		if errors.Is(err, driver.ErrInvalidConn) {
			return target.ConnectionLost(err)
		}
		return nil
	})
}

// IsDuplicateKey reports whether err is MySQL's duplicate-entry error.
func IsDuplicateKey(err error) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && me.Number == ErDupEntry
}
