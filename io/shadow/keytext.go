package shadow

import (
	"strconv"
	"strings"

	"cloud.google.com/go/spanner"
)

// KeyText is key.String(), the text by which a batch's keys and the shadow
// rows read back are matched (ReadVersions), made without fmt for a key
// whose parts are all INT64 or STRING values (int64, string): the writer
// makes one per change, and fmt's formatting was a third of the cost of
// keying one. For those parts the text is exactly Key.String's (%v of an
// int64 is its decimal form, %q of a string is strconv.Quote), and any
// other key is Key.String's own: the two sides of a lookup always agree.
func KeyText(key spanner.Key) string {
	n := 2
	for _, p := range key {
		switch v := p.(type) {
		case int64:
			n += 21
		case string:
			n += len(v) + 3
		default:
			return key.String()
		}
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('(')
	var buf [24]byte
	for i, p := range key {
		if i > 0 {
			b.WriteByte(',')
		}
		switch v := p.(type) {
		case int64:
			b.Write(strconv.AppendInt(buf[:0], v, 10))
		case string:
			b.WriteString(strconv.Quote(v))
		}
	}
	b.WriteByte(')')
	return b.String()
}
