package record

import (
	"encoding/json"
	"unicode/utf8"
)

// flatObject decodes s as json.Unmarshal decodes it into a
// map[string]json.RawMessage, for the texts change records carry: one
// object whose keys are plain strings and whose values are strings,
// numbers, true, false or null. It answers ok=false for anything else
// (nested objects and arrays, escaped keys, any doubt about validity), and
// the caller then asks json.Unmarshal, whose reflection costs several
// times this scan: the writer decodes the keys and values of every change.
func flatObject(s string) (m map[string]json.RawMessage, ok bool) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil, false
	}
	// The members are found first and the map made once they all were:
	// a text left to json.Unmarshal costs nothing here, and the map has
	// room for the keys found, whatever a value's text looks like.
	var local [16]member
	members := local[:0]
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return map[string]json.RawMessage{}, skipSpace(s, i+1) == len(s)
	}
	for {
		end, plain := stringEnd(s, i)
		if end < 0 || !plain {
			return nil, false
		}
		key := s[i+1 : end-1]
		i = skipSpace(s, end)
		if i >= len(s) || s[i] != ':' {
			return nil, false
		}
		i = skipSpace(s, i+1)
		end = valueEnd(s, i)
		if end < 0 {
			return nil, false
		}
		if len(members) == maxMembers {
			return nil, false
		}
		members = append(members, member{key: key, lo: i, hi: end})
		i = skipSpace(s, end)
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			if skipSpace(s, i+1) != len(s) {
				return nil, false
			}
			return objectOf(s, members), true
		default:
			return nil, false
		}
	}
}

// maxMembers bounds the members flatObject collects (and so the map it
// makes): a Spanner table has at most 1024 columns. A text with more,
// necessarily repeating keys (a hand-edited DLQ file), is left to
// json.Unmarshal, which keeps one entry per key: it must not make a map,
// or a list of members, of megabytes for a record of a few columns.
const maxMembers = 1024

// member is a key of an object and where its value's text is.
type member struct {
	key    string
	lo, hi int
}

// objectOf is the map of members (one at least), the values of s. They
// share one copy of their text (one allocation rather than one per
// value), each capped at its end: an append to one never writes into the
// next. A key given twice keeps its last value, as json.Unmarshal does.
func objectOf(s string, members []member) map[string]json.RawMessage {
	m := make(map[string]json.RawMessage, len(members))
	base := members[0].lo
	text := []byte(s[base:members[len(members)-1].hi])
	for _, v := range members {
		m[v.key] = json.RawMessage(text[v.lo-base : v.hi-base : v.hi-base])
	}
	return m
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index just past the JSON string starting at s[i], or
// -1 when there is none (or it holds what flatObject leaves to
// json.Unmarshal: a control character, a malformed escape, invalid
// UTF-8). plain reports a string without escapes, which decodes to the
// text between its quotes.
func stringEnd(s string, i int) (end int, plain bool) {
	if i >= len(s) || s[i] != '"' {
		return -1, false
	}
	plain = true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			if !utf8.ValidString(s[i+1 : j]) {
				return -1, false
			}
			return j + 1, plain
		case c < 0x20:
			return -1, false
		case c == '\\':
			plain = false
			if j+1 >= len(s) {
				return -1, false
			}
			switch s[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(s) || !isHex(s[j+2]) || !isHex(s[j+3]) || !isHex(s[j+4]) || !isHex(s[j+5]) {
					return -1, false
				}
				j += 5
			default:
				return -1, false
			}
		}
	}
	return -1, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// valueEnd is the index just past the string, number, true, false or null
// starting at s[i], or -1 for anything else.
func valueEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		end, _ := stringEnd(s, i)
		return end
	case 't':
		return literalEnd(s, i, "true")
	case 'f':
		return literalEnd(s, i, "false")
	case 'n':
		return literalEnd(s, i, "null")
	}
	return numberEnd(s, i)
}

func literalEnd(s string, i int, lit string) int {
	if len(s)-i >= len(lit) && s[i:i+len(lit)] == lit {
		return i + len(lit)
	}
	return -1
}

// numberEnd follows JSON's number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(s string, i int) int {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digitsEnd(s, i)
	default:
		return -1
	}
	if i < len(s) && s[i] == '.' {
		if j := digitsEnd(s, i+1); j > i+1 {
			i = j
		} else {
			return -1
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if j := digitsEnd(s, i); j > i {
			i = j
		} else {
			return -1
		}
	}
	return i
}

func digitsEnd(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}
