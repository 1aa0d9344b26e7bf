package convert

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// arrayLiteral renders an ARRAY as PostgreSQL's array input text,
// '{"a","b",NULL}': every element converted for the element type and
// double-quoted, with backslashes and quotes escaped; NULL unquoted.
func arrayLiteral(elems []any, t target, tz *time.Location) (any, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		if e == nil {
			b.WriteString("NULL")
			continue
		}
		if _, nested := e.([]any); nested {
			return nil, fmt.Errorf("array element %d is an array", i)
		}
		v, err := scalar(e, t, tz)
		if err != nil {
			return nil, fmt.Errorf("array element %d: %w", i, err)
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = `\x` + hex.EncodeToString(x)
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
