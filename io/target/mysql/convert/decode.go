package convert

import (
	"encoding/json"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// The decoded Spanner values (pure/spannervalue), by this package's names.
type (
	numeric  = spannervalue.Numeric
	civilDay = spannervalue.Date
	jsonText = spannervalue.JSON
	uuidText = spannervalue.UUID
	floatVal = spannervalue.Float
)

var uuidPattern = spannervalue.UUIDPattern

// decode reads raw in the change-stream encoding of t (spannervalue.Decode).
func decode(t spannertype.Type, raw json.RawMessage) (any, error) { return spannervalue.Decode(t, raw) }

// isNonFinite reports NaN and ±Inf, which MySQL numeric columns cannot hold.
func isNonFinite(f float64) bool { return spannervalue.IsNonFinite(f) }
