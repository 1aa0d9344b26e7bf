package convert

import (
	"errors"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// KeyComparable reports whether a DELETE can find a row by col with
// "col" = $n, the value bound as Value converts it. PostgreSQL parses the
// bound text for the column's type, so a value compares as the stored one
// would; json is the exception: it has no equality operator at all (jsonb
// has one).
func KeyComparable(col schema.SourceColumn) error {
	if t := targetOf(col); t.fam == famJSON {
		return errors.New("a json column has no equality operator in PostgreSQL, so no row can be found by it")
	}
	return nil
}
