package convert

import (
	"encoding/json"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// Values is this package's conversions as the mapping.Values of the MySQL
// target.
type Values struct{}

// Value is the package's Value.
func (Values) Value(t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error) {
	return Value(t, raw, col, tz)
}

// KeyComparable is the package's KeyComparable.
func (Values) KeyComparable(col schema.SourceColumn) error { return KeyComparable(col) }
