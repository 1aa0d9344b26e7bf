package convert

import (
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// ConversionError reports a value that cannot be written faithfully to a
// PostgreSQL column: severe, since retrying cannot fix it. The mapping
// adds the table. Value holds the raw JSON, shortened.
type ConversionError struct {
	Column         string
	SpannerType    string
	PostgreSQLType string
	Value          string
	Reason         string
}

func (e *ConversionError) Error() string {
	return fmt.Sprintf("convert column %q: Spanner %s value %s into PostgreSQL %s: %s",
		e.Column, e.SpannerType, e.Value, e.PostgreSQLType, e.Reason)
}

// FailureClass makes the record severe.
func (e *ConversionError) FailureClass() failure.Class { return failure.Severe }

// IsConversionError reports whether err (or anything it wraps) is a
// *ConversionError.
func IsConversionError(err error) bool {
	var ce *ConversionError
	return errors.As(err, &ce)
}

func newConversionError(col schema.SourceColumn, t spannertype.Type, raw []byte, reason error) *ConversionError {
	pgType := col.ColumnType
	if pgType == "" {
		pgType = col.DataType
	}
	return &ConversionError{
		Column: col.Name, SpannerType: t.String(), PostgreSQLType: pgType,
		Value: spannertype.Shorten(string(raw)), Reason: reason.Error(),
	}
}
