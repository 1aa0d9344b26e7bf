package logs

import (
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"

	"google.golang.org/protobuf/types/known/structpb"
)

// flatten calls f with the full key and resolved value of every attribute,
// following slog's rules: empty attributes are dropped, a group's key
// prefixes its members' keys ("shard.id") and a group without a key is
// inlined.
func flatten(attrs []groupedAttr, f func(key string, v slog.Value)) {
	for _, ga := range attrs {
		flattenOne(ga.prefix, ga.attr, f)
	}
}

func flattenOne(prefix string, a slog.Attr, f func(key string, v slog.Value)) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			flattenOne(prefix, g, f)
		}
		return
	}
	f(prefix+a.Key, a.Value)
}

// text renders `msg key=value key=value`, the form of local runs.
func text(msg string, attrs []groupedAttr) string {
	var b strings.Builder
	b.WriteString(msg)
	flatten(attrs, func(key string, v slog.Value) {
		b.WriteByte(' ')
		b.WriteString(quote(key))
		b.WriteByte('=')
		b.WriteString(quote(valueString(v)))
	})
	return b.String()
}

// fields returns the attributes as the custom_data of a Fn API log entry,
// which Dataflow shows as jsonPayload.custom_data. Numbers and booleans
// stay typed, so a log query can compare them; lists of strings stay
// lists; everything else is its text form. Keys are cleaned to the
// characters the Fn API allows (see fieldKey). Nil when there are none.
func fields(attrs []groupedAttr) *structpb.Struct {
	var s *structpb.Struct
	flatten(attrs, func(key string, v slog.Value) {
		if s == nil {
			s = &structpb.Struct{Fields: map[string]*structpb.Value{}}
		}
		s.Fields[fieldKey(key)] = fieldValue(v)
	})
	return s
}

// maxExactInt is the largest integer a JSON number (a float64) holds
// exactly; larger ones are sent as text so that they are not rounded.
const maxExactInt = 1 << 53

func fieldValue(v slog.Value) *structpb.Value {
	switch v.Kind() {
	case slog.KindBool:
		return structpb.NewBoolValue(v.Bool())
	case slog.KindInt64:
		if n := v.Int64(); n <= maxExactInt && n >= -maxExactInt {
			return structpb.NewNumberValue(float64(n))
		}
	case slog.KindUint64:
		if n := v.Uint64(); n <= maxExactInt {
			return structpb.NewNumberValue(float64(n))
		}
	case slog.KindFloat64:
		return structpb.NewNumberValue(v.Float64())
	case slog.KindAny:
		if l, ok := v.Any().([]string); ok {
			vals := make([]*structpb.Value, len(l))
			for i, s := range l {
				vals[i] = structpb.NewStringValue(s)
			}
			return structpb.NewListValue(&structpb.ListValue{Values: vals})
		}
	}
	return structpb.NewStringValue(valueString(v))
}

// fieldKey maps a key to the characters the Fn API allows in custom_data
// keys ([a-zA-Z_-]): a group's dot and any other character become '_'.
func fieldKey(key string) string {
	return strings.Map(func(c rune) rune {
		if c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			return c
		}
		return '_'
	}, key)
}

func valueString(v slog.Value) string {
	switch v.Kind() {
	case slog.KindTime:
		return v.Time().UTC().Format(time.RFC3339Nano)
	case slog.KindAny:
		switch a := v.Any().(type) {
		case error:
			if a != nil {
				return a.Error()
			}
		case []string:
			// Lists of names or tokens stay one token, without the
			// brackets and spaces of fmt's form.
			return strings.Join(a, ",")
		}
	}
	return v.String()
}

// quote quotes s when it would not read back as one token: empty, or with
// spaces, quotes, '=' or control characters.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, c := range s {
		if c == '"' || c == '=' || unicode.IsSpace(c) || !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	return s
}
