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

// Value converts raw, one value of a change record in the encoding of Spanner
// type t, into the Go value to bind for the MySQL column col. JSON null gives
// nil (SQL NULL); NOT NULL is left to the server to enforce. tz is the source
// database's time zone: TIMESTAMP values written to datetime, timestamp, date
// and time columns are shifted into it (nil means UTC).
//
// The result is one of nil, int64, uint64, float64, string or []byte. Any
// failure is a *spannervalue.ConversionError (spannervalue.Convert).
func Value(t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error) {
	return spannervalue.Convert("MySQL", t, raw, col, tz, func(v any, tz *time.Location) (any, error) {
		return encode(v, targetOf(col), tz)
	})
}

func encode(v any, t target, tz *time.Location) (any, error) {
	if _, isArray := v.([]any); isArray {
		switch t.fam {
		case famChar, famText, famSet, famJSON:
		default:
			return nil, fmt.Errorf("an ARRAY has no faithful %s form", t.dataType)
		}
	}
	switch t.fam {
	case famInt:
		return toInt(v, t)
	case famDecimal:
		return toDecimal(v, t)
	case famFloat, famDouble:
		return toFloat(v, t)
	case famBit:
		return toBit(v, t)
	case famYear:
		return toYear(v, t)
	case famChar, famText:
		return toText(v, t)
	case famEnum:
		return toEnum(v, t)
	case famSet:
		return toSet(v, t)
	case famJSON:
		return toJSONColumn(v)
	case famUUID:
		return toUUID(v)
	case famBinary, famBlob:
		return toBytes(v, t)
	case famDate:
		return toDate(v, tz)
	case famTime:
		return toTime(v, t, tz)
	case famDatetime, famTimestamp:
		return toDatetime(v, t, tz)
	}
	return nil, errors.New("unsupported MySQL column type")
}

func notFor(v any, t target) error {
	return fmt.Errorf("a %s value has no faithful %s form", spannervalue.KindName(v), t.dataType)
}
