package spannervalue

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// ConversionError reports a value that cannot be written faithfully to a
// target's column. Retrying cannot fix it: it is severe. Value holds the
// raw JSON, shortened so that a multi-megabyte BYTES value does not end up
// in every log line.
type ConversionError struct {
	Column      string
	SpannerType string
	Target      string // the target's name: MySQL, PostgreSQL
	TargetType  string // the column's type in the target
	Value       string
	Reason      string
}

func (e *ConversionError) Error() string {
	return fmt.Sprintf("convert column %q: Spanner %s value %s into %s %s: %s",
		e.Column, e.SpannerType, e.Value, e.Target, e.TargetType, e.Reason)
}

// FailureClass makes the record severe.
func (e *ConversionError) FailureClass() failure.Class { return failure.Severe }

// IsConversionError reports whether err (or anything it wraps) is a
// *ConversionError.
func IsConversionError(err error) bool {
	var ce *ConversionError
	return errors.As(err, &ce)
}

func newConversionError(target string, col schema.SourceColumn, t spannertype.Type, raw []byte, reason error) *ConversionError {
	targetType := col.ColumnType
	if targetType == "" {
		targetType = col.DataType
	}
	return &ConversionError{
		Column:      col.Name,
		SpannerType: t.String(),
		Target:      target,
		TargetType:  targetType,
		Value:       spannertype.Shorten(string(raw)),
		Reason:      reason.Error(),
	}
}

// Convert is the frame of a target's conversion of one value of a change
// record (the Value of each target's convert package): raw, in the
// change-stream encoding of Spanner type t, is decoded (Decode); JSON null
// gives nil (SQL NULL); any other value is shaped by encode, the target's
// own rules for col, with tz the source database's zone (nil means UTC).
// Any failure is a *ConversionError naming the target, col and the value.
func Convert(target string, t spannertype.Type, raw json.RawMessage, col schema.SourceColumn, tz *time.Location,
	encode func(v any, tz *time.Location) (any, error)) (any, error) {
	v, err := Decode(t, raw)
	if err != nil {
		return nil, newConversionError(target, col, t, raw, err)
	}
	if v == nil {
		return nil, nil
	}
	if tz == nil {
		tz = time.UTC
	}
	out, err := encode(v, tz)
	if err != nil {
		return nil, newConversionError(target, col, t, raw, err)
	}
	return out, nil
}

// KindName names a decoded value (Decode's result) for error messages:
// the Spanner type it came from.
func KindName(v any) string {
	switch v.(type) {
	case bool:
		return "BOOL"
	case int64:
		return "INT64"
	case Float:
		return "FLOAT"
	case Numeric:
		return "NUMERIC"
	case string:
		return "STRING"
	case []byte:
		return "BYTES"
	case Date:
		return "DATE"
	case time.Time:
		return "TIMESTAMP"
	case JSON:
		return "JSON"
	case UUID:
		return "UUID"
	case []any:
		return "ARRAY"
	}
	return fmt.Sprintf("%T", v)
}

// Text is the shortest text that reads back as the same FLOAT32 or
// FLOAT64, with the non-finite values spelled NaN, Infinity and -Infinity
// (Spanner's spelling, and PostgreSQL's).
func (f Float) Text() string {
	switch {
	case math.IsNaN(f.V):
		return "NaN"
	case math.IsInf(f.V, 1):
		return "Infinity"
	case math.IsInf(f.V, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f.V, 'g', -1, f.Bits)
}
