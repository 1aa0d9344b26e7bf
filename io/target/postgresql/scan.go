package postgresql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// errNoScanner: runMode=verify does not read PostgreSQL shards yet.
var errNoScanner = errors.New("runMode=verify cannot read PostgreSQL shards yet (sourceType=postgresql)")

// Scanner is the reading side for runMode=verify; not built yet for
// PostgreSQL: every method fails with errNoScanner.
func (Target) Scanner() target.Scanner { return scanner{} }

type scanner struct{}

func (scanner) Canonical(schema.SourceColumn, any) (verify.Value, error) {
	return verify.Value{}, errNoScanner
}

func (scanner) Splits(context.Context, *sql.DB, schema.SourceTable, int) ([][]verify.Value, error) {
	return nil, errNoScanner
}

func (scanner) ReadRange(context.Context, *sql.DB, schema.SourceTable, target.KeyRange, func(verify.Row) error) error {
	return errNoScanner
}
