package logs

import (
	"fmt"
	"hash/fnv"
	"log/slog"
)

// Token is a change stream partition token as a log value. Tokens are
// long (a hundred characters or more) and alike in their first
// characters, so a log value is the first 8 characters, "…" and a 64-bit
// hash of the whole token (16 hex digits): short, and still one value per
// token (a collision among even millions of partitions is unlikely), so a
// filter on it finds every event of one partition. The full token is
// logged instead when Level is Debug.
type Token string

// shortPrefix is how many leading characters of a token Short keeps.
const shortPrefix = 8

// Short is the shortened form of t; tokens no longer than that form are
// kept whole.
func (t Token) Short() string {
	s := string(t)
	if len(s) <= shortPrefix+1+16 {
		return s
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%s…%016x", s[:shortPrefix], h.Sum64())
}

// LogValue is the short form, or the full token at Debug.
func (t Token) LogValue() slog.Value {
	if Level.Level() <= slog.LevelDebug {
		return slog.StringValue(string(t))
	}
	return slog.StringValue(t.Short())
}

// Tokens is a list of partition tokens (parents, children) as a log value,
// each shortened as Token is.
type Tokens []string

// LogValue is the list of the tokens' log values.
func (ts Tokens) LogValue() slog.Value {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = Token(t).LogValue().String()
	}
	return slog.AnyValue(out)
}
