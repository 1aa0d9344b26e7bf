package convert

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// ConversionError reports a value that cannot be written faithfully to a
// MySQL column. Retrying cannot fix it, so callers treat it as permanent
// (severe). Value holds the raw JSON, shortened so that a multi-megabyte BYTES
// value does not end up in every log line.
type ConversionError struct {
	Column      string
	SpannerType string
	MySQLType   string
	Value       string
	Reason      string
}

func (e *ConversionError) Error() string {
	return fmt.Sprintf("convert column %q: Spanner %s value %s into MySQL %s: %s",
		e.Column, e.SpannerType, e.Value, e.MySQLType, e.Reason)
}

// IsConversionError reports whether err (or anything it wraps) is a
// *ConversionError.
func IsConversionError(err error) bool {
	var ce *ConversionError
	return errors.As(err, &ce)
}

// maxShownValue bounds ConversionError.Value in bytes.
const maxShownValue = 80

func newConversionError(col schema.SourceColumn, t Type, raw []byte, reason error) *ConversionError {
	mysqlType := col.ColumnType
	if mysqlType == "" {
		mysqlType = col.DataType
	}
	return &ConversionError{
		Column:      col.Name,
		SpannerType: t.String(),
		MySQLType:   mysqlType,
		Value:       shorten(string(raw)),
		Reason:      reason.Error(),
	}
}

// shorten cuts s on a rune boundary and says how long it was, so the message
// stays valid UTF-8 and the reader knows it was cut.
func shorten(s string) string {
	if len(s) <= maxShownValue {
		return s
	}
	cut := maxShownValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}
