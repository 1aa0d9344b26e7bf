package logs

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// shortForm is a shortened token: 8 characters, … and 16 hex digits.
var shortForm = regexp.MustCompile(`^.{8}…[0-9a-f]{16}$`)

func TestToken(t *testing.T) {
	c := capturing(t)
	ctx := context.Background()
	short := Token(longToken).Short()
	if !shortForm.MatchString(short) || !strings.HasPrefix(short, longToken[:8]+"…") {
		t.Errorf("Short() = %q, want the first 8 characters, … and a 64-bit hash (16 hex digits)", short)
	}
	if other := Token(longToken + "x").Short(); other == short {
		t.Errorf("two tokens alike in their first characters both shorten to %q", short)
	}
	// A token no longer than the short form is kept whole.
	if s := Token(longToken[:25]).Short(); s != longToken[:25] {
		t.Errorf("a 25-character token shortened to %q", s)
	}
	if s := Token("abc").Short(); s != "abc" {
		t.Errorf("a short token shortened to %q", s)
	}

	Info(ctx, "partition started", "partition", Token(longToken), "parents", Tokens{longToken, "p2"})
	Level.Set(slog.LevelDebug)
	defer Level.Set(slog.LevelInfo)
	Info(ctx, "partition started", "partition", Token(longToken))
	got := c.take()
	want := []string{
		"partition started partition=" + short + " parents=" + short + ",p2",
		"partition started partition=" + longToken,
	}
	if len(got) != 2 || got[0].msg != want[0] || got[1].msg != want[1] {
		t.Fatalf("logged %+v, want %q", got, want)
	}
}
