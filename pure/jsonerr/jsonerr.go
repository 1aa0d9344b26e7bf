// Package jsonerr turns encoding/json errors into messages that say where
// in a hand-edited file the problem is, by line and column.
package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Describe explains err, returned by decoding data, with its position.
// what names the kind of document ("session file") for other errors.
func Describe(data []byte, err error, what string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset is just past the offending byte.
		return fmt.Errorf("not valid JSON at %s: %w", LineCol(data, se.Offset-1), err)
	case errors.As(err, &te):
		field := ""
		if te.Field != "" {
			field = fmt.Sprintf(" (field %s)", te.Field)
		}
		// Offset is just past the value.
		return fmt.Errorf("JSON %s ending at %s where %s is expected%s: %w", te.Value, LineCol(data, te.Offset-1), te.Type, field, err)
	}
	return fmt.Errorf("not a %s: %w", what, err)
}

// LineCol renders a byte offset of data as "line L, column C" (1-based).
func LineCol(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}
