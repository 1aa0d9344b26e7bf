package mapping

import (
	"encoding/json"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// Values is a target database's conversion of Spanner values into the
// values bound for its columns (io/target/mysql/convert for MySQL).
type Values interface {
	// Value converts raw, a change record's JSON value of Spanner type t,
	// for column col; tz is the source database's zone. A value the
	// column cannot hold faithfully is a severe error.
	Value(t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error)
	// KeyComparable says why a bound value of col would never equal the
	// stored one (so a DELETE by that column finds no row), or nil.
	KeyComparable(col schema.SourceColumn) error
}
