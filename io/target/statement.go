package target

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
)

// Statement is SQL text with its arguments, as a target's dml package
// builds it.
type Statement struct {
	SQL  string
	Args []any
}

// WriteKeysMatch writes to b the condition that matches the rows of keys
// on the key columns, quoted: (k1=p1 AND k2=p2) OR (...), one
// parenthesised group per key. A NULL key value (IsNull) becomes k IS NULL
// with no parameter, because k=NULL never matches (the Java template's
// "= null" silently deleted nothing). bind records a value and returns its
// placeholder, in the target's dialect.
func WriteKeysMatch(b *strings.Builder, quoted []string, keys [][]any, bind func(v any) string) error {
	for i, key := range keys {
		if len(key) != len(quoted) {
			return fmt.Errorf("dml: key %d has %d values for %d key columns", i, len(key), len(quoted))
		}
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for j, v := range key {
			if j > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(quoted[j])
			if IsNull(v) {
				b.WriteString(" IS NULL")
				continue
			}
			b.WriteByte('=')
			b.WriteString(bind(v))
		}
		b.WriteByte(')')
	}
	return nil
}

// IsNull reports whether v binds as SQL NULL: nil, a nil pointer, or a
// typed null such as sql.NullString{} (a driver.Valuer whose value is
// nil).
func IsNull(v any) bool {
	if v == nil {
		return true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return true
	}
	if vl, ok := v.(driver.Valuer); ok {
		dv, err := vl.Value()
		return err == nil && dv == nil
	}
	return false
}

// CheckParams refuses a statement of n parameters over the limit max, so
// that callers split batches.
func CheckParams(n, max int) error {
	if n > max {
		return fmt.Errorf("dml: %d parameters exceed %d; split the batch", n, max)
	}
	return nil
}
