package params

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Description is the help text as published (metadata.json, README): the
// definition's HelpText plus a note about values this build rejects, so the
// documentation never promises more than Parse accepts.
func (p Param) Description() string {
	if note := p.unsupportedNote(); note != "" {
		return p.HelpText + " " + note
	}
	return p.HelpText
}

// unsupportedNote probes NotSupportedYet. For enums and booleans the set of
// values is finite, so it can name the rejected ones; for free-form values it
// probes a well-formed sample, which is enough because those entries reject
// any non-empty value.
func (p Param) unsupportedNote() string {
	if p.NotSupportedYet == nil {
		return ""
	}
	switch p.Kind {
	case Enum, Bool:
		candidates := p.Enum
		if p.Kind == Bool {
			candidates = []string{"true", "false"}
		}
		var rejected []string
		for _, v := range candidates {
			if p.NotSupportedYet(v) != "" {
				rejected = append(rejected, v)
			}
		}
		if len(rejected) == 0 {
			return ""
		}
		return "Not supported yet in this build: " + strings.Join(rejected, ", ") + "."
	default:
		if reason := p.NotSupportedYet(sampleValue(p.Kind)); reason != "" {
			return sentence(reason)
		}
		return ""
	}
}

// sampleValue is a well-formed value of the kind, used only for probing.
func sampleValue(k Kind) string {
	switch k {
	case Int:
		return "1"
	case Bool:
		return "false"
	case Timestamp:
		return "2024-01-01T00:00:00Z"
	case Offset:
		return "+00:00"
	case Subscription:
		return "projects/p/subscriptions/s"
	}
	return "x"
}

// sentence turns a not-yet reason (a lower-case clause, so it also reads
// well after "is not supported yet: ") into a stand-alone sentence.
func sentence(reason string) string {
	r, n := utf8.DecodeRuneInString(reason)
	return string(unicode.ToUpper(r)) + reason[n:] + "."
}
