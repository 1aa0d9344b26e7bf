package logs

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	c := capturing(t)
	ctx := context.Background()
	short := Token(longToken).Short()
	if len([]rune(short)) != 17 || !strings.HasPrefix(short, longToken[:8]+"…") {
		t.Errorf("Short() = %q, want the first 8 characters, … and a hash", short)
	}
	if other := Token(longToken + "x").Short(); other == short {
		t.Errorf("two tokens alike in their first characters both shorten to %q", short)
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
