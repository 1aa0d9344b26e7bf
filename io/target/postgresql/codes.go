package postgresql

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// SQLSTATEs the writer and the launch checks act on. A two-character
// value is a class: it stands for every code that starts with it.
const (
	ClassConnection        = "08" // connection exception
	ClassDataException     = "22" // data exception: a value the column cannot take
	ClassOperatorIntervene = "57" // operator intervention: shutdown, cancel
	ClassInsufficientRes   = "53" // insufficient resources
	ClassSyntaxOrAccess    = "42" // syntax error or access rule violation

	ReadOnlyTransaction       = "25006" // read_only_sql_transaction
	InFailedTransaction       = "25P02" // in_failed_sql_transaction: an earlier error aborted it
	InvalidAuthorization      = "28000" // invalid_authorization_specification
	InvalidPassword           = "28P01" // invalid_password
	NotNullViolation          = "23502"
	ForeignKeyViolation       = "23503"
	UniqueViolation           = "23505" // any unique index, the primary key included
	CheckViolation            = "23514"
	ExclusionViolation        = "23P01"
	SerializationFailure      = "40001"
	DeadlockDetected          = "40P01"
	LockNotAvailable          = "55P03" // lock_timeout
	QueryCanceled             = "57014" // statement_timeout, a cancel request
	AdminShutdown             = "57P01"
	CrashShutdown             = "57P02"
	CannotConnectNow          = "57P03"
	DatabaseDropped           = "57P04"
	IdleSessionTimeout        = "57P05"
	TooManyConnections        = "53300"
	InsufficientPrivilege     = "42501"
	UndefinedTable            = "42P01"
	UndefinedColumn           = "42703"
	InvalidCatalogName        = "3D000" // the database does not exist
	InvalidSchemaName         = "3F000" // the schema does not exist
	DatatypeMismatch          = "42804"
	UndefinedFunction         = "42883" // also an operator that does not exist
	DuplicatePreparedStmt     = "42P05" // duplicate_prepared_statement
	InvalidStatementName      = "26000" // invalid_sql_statement_name: no such prepared statement
	InvalidTextRepresentation = "22P02"
)

// codes lists SQLSTATEs and classes. A code is looked up whole first, then
// by its class; codes not listed are retryable statement errors (the zero
// target.Code), as for MySQL.
var codes = map[string]target.Code{
	// Data: the record fails the same way again.
	ClassDataException: {Class: failure.Severe},
	NotNullViolation:   {Class: failure.Severe},
	CheckViolation:     {Class: failure.Severe},
	ExclusionViolation: {Class: failure.Severe},
	// Syntax, unknown tables and columns, privileges.
	ClassSyntaxOrAccess:  {Class: failure.Severe},
	InvalidAuthorization: {Class: failure.Severe},
	InvalidPassword:      {Class: failure.Severe},
	InvalidCatalogName:   {Class: failure.Severe},
	InvalidSchemaName:    {Class: failure.Severe},
	// A unique clash: the writer never lets a row take another key's row
	// (unique.go), so a clash means the change that frees the value has
	// not been applied yet. Retrying gives it time.
	UniqueViolation: {Class: failure.Retryable},
	// Other rows may change: a parent may arrive, a child delete may come.
	ForeignKeyViolation: {Class: failure.Retryable},
	// The server answered, but the transaction failed whole.
	SerializationFailure: {Class: failure.Retryable, WholeBatch: true, Answered: true},
	DeadlockDetected:     {Class: failure.Retryable, WholeBatch: true, Answered: true},
	LockNotAvailable:     {Class: failure.Retryable, WholeBatch: true, Answered: true},
	QueryCanceled:        {Class: failure.Retryable, WholeBatch: true, Answered: true},
	InFailedTransaction:  {Class: failure.Retryable, WholeBatch: true, Answered: true},
	// A statement the connection prepared before (conn.go) and the server
	// no longer agree: a column's type changed since (ALTER TABLE ...
	// TYPE: the parameter keeps the type it was prepared with, so the
	// value no longer fits its column, or an operator no longer exists
	// for a key column), or a pooler that cannot keep prepared statements
	// (PgBouncer in transaction mode, without prepareThreshold=0) gave the
	// connection another server connection. The writer's statements leave
	// every parameter's type to the server, so a fresh statement fits:
	// none of these is the record's. pgx drops the statement on the
	// error, and the batch's next attempt prepares it again (behind such
	// a pooler the records wait in retry/ until prepareThreshold=0 is set,
	// rather than in severe/).
	DatatypeMismatch:      {Class: failure.Retryable, WholeBatch: true, Answered: true},
	UndefinedFunction:     {Class: failure.Retryable, WholeBatch: true, Answered: true},
	DuplicatePreparedStmt: {Class: failure.Retryable, WholeBatch: true, Answered: true},
	InvalidStatementName:  {Class: failure.Retryable, WholeBatch: true, Answered: true},
	// The connection or the server failed.
	ClassConnection:        {Class: failure.Retryable, WholeBatch: true},
	ClassOperatorIntervene: {Class: failure.Retryable, WholeBatch: true},
	ClassInsufficientRes:   {Class: failure.Retryable, WholeBatch: true},
	// A read-only server (a standby after a failover, or
	// default_transaction_read_only turned on) answers, and fast: each
	// batch is tried and goes to retry/ with PostgreSQL's reason, rather
	// than the shard being taken for unreachable, whose batches wait
	// untried with no reason but the outage.
	ReadOnlyTransaction: {Class: failure.Retryable, WholeBatch: true, Answered: true},
}

// lookup finds a SQLSTATE's meaning: the code, else its class.
func lookup(state string) target.Code {
	if c, ok := codes[state]; ok {
		return c
	}
	if len(state) >= 2 {
		return codes[state[:2]]
	}
	return target.Code{}
}

// Classify wraps a pgx error into a *target.Error that carries its class;
// other errors, nil and errors already classified come back as they are.
// The server's DETAIL (which key clashed, which value was refused) joins
// its message, so DLQ lines carry both.
func Classify(err error) error {
	return target.Classify(err, func(err error) *target.Error {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			e := err
			if pe.Detail != "" {
				e = fmt.Errorf("%w (%s)", err, pe.Detail)
			}
			te := lookup(pe.Code).Error(e)
			te.SQLState = pe.Code
			return te
		}
		var ce *pgconn.ConnectError
		var ne net.Error
		if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
			errors.Is(err, net.ErrClosed) || pgconn.SafeToRetry(err) {
			return target.ConnectionLost(err)
		}
		return nil
	})
}

// state returns err's SQLSTATE, or "".
func state(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// IsUniqueViolation reports whether err is PostgreSQL's unique clash.
func IsUniqueViolation(err error) bool { return state(err) == UniqueViolation }
