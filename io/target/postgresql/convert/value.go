package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// Values is this package's conversions as the mapping.Values of the
// PostgreSQL target.
type Values struct{}

// Value is the package's Value.
func (Values) Value(t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error) {
	return Value(t, raw, col, tz)
}

// KeyComparable is the package's KeyComparable.
func (Values) KeyComparable(col schema.SourceColumn) error { return KeyComparable(col) }

// Value converts raw, one value of a change record in the encoding of
// Spanner type t, into the value to bind for the PostgreSQL column col.
// JSON null gives nil (SQL NULL). tz is the source database's zone: a
// TIMESTAMP written to a timestamp (without time zone), date or time
// column becomes its wall clock there (nil means UTC).
//
// The result is nil, a string (PostgreSQL's text input form) or []byte
// (bytea). Any failure is a *spannervalue.ConversionError
// (spannervalue.Convert).
func Value(t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error) {
	return spannervalue.Convert("PostgreSQL", t, raw, col, tz, func(v any, tz *time.Location) (any, error) {
		return encode(v, targetOf(col), tz)
	})
}

func encode(v any, t target, tz *time.Location) (any, error) {
	if t.array {
		elems, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("a %s value is not an ARRAY, which a %s[] column needs", spannervalue.KindName(v), t.typeName)
		}
		return arrayLiteral(elems, t, tz)
	}
	if _, ok := v.([]any); ok && t.fam != famJSON && t.fam != famJSONB {
		return nil, fmt.Errorf("an ARRAY has no faithful %s form (the column is not an array)", t.typeName)
	}
	return scalar(v, t, tz)
}

// scalar converts one non-array value (or an array's element) for t's
// family: a string in text input form, or []byte for bytea.
func scalar(v any, t target, tz *time.Location) (any, error) {
	switch t.fam {
	case famBool:
		return toBool(v, t)
	case famInt:
		return toInt(v, t)
	case famNumeric:
		return toNumeric(v, t)
	case famReal:
		return toFloat(v, t, 32)
	case famDouble:
		return toFloat(v, t, 64)
	case famChar, famVarchar, famText:
		return toText(v, t)
	case famBytea:
		return toBytea(v, t)
	case famDate:
		return toDate(v, t, tz)
	case famTimestamp:
		return toTimestamp(v, t, tz)
	case famTimestamptz:
		return toTimestamptz(v, t, tz)
	case famTime:
		return toTime(v, t, tz)
	case famJSON, famJSONB:
		return toJSON(v, t)
	case famUUID:
		return toUUID(v, t)
	case famEnum:
		return toEnum(v, t)
	}
	return nil, errors.New("unsupported PostgreSQL column type")
}

func notFor(v any, t target) error {
	return fmt.Errorf("a %s value has no faithful %s form", spannervalue.KindName(v), t.typeName)
}
