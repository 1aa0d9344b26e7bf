package logs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
)

type entry struct {
	sev beamlog.Severity
	msg string
	loc string
}

// capture records what reaches Beam's logger, taking the location the way
// the worker's logger does.
type capture struct {
	mu      sync.Mutex
	entries []entry
}

func (c *capture) Log(_ context.Context, sev beamlog.Severity, calldepth int, msg string) {
	_, file, line, _ := runtime.Caller(calldepth + 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = append(c.entries, entry{sev, msg, fmt.Sprintf("%s:%d", filepath.Base(file), line)})
}

func (c *capture) take() []entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries
	c.entries = nil
	return e
}

// capturing routes Beam's log package to a capture for the test, and back
// to Beam's default logger after it.
func capturing(t *testing.T) *capture {
	c := &capture{}
	beamlog.SetLogger(c)
	t.Cleanup(func() { beamlog.SetLogger(&beamlog.Structural{}) })
	return c
}

func TestHandler(t *testing.T) {
	c := capturing(t)
	ctx := context.Background()
	at := time.Date(2024, 5, 6, 7, 8, 9, 10, time.FixedZone("x", 3600))
	tests := []struct {
		name    string
		log     func()
		wantSev beamlog.Severity
		want    string
	}{
		{"plain", func() { Info(ctx, "partition started", "stream", "s1", "partition", "tok") },
			beamlog.SevInfo, "partition started stream=s1 partition=tok"},
		{"quoting", func() { Warn(ctx, "x", "error", errors.New("no route: a=b"), "empty", "", "q", `say "hi"`) },
			beamlog.SevWarn, `x error="no route: a=b" empty="" q="say \"hi\""`},
		{"kinds", func() {
			Error(ctx, "y", "n", 3, "ok", true, "d", 1500*time.Millisecond, "at", at, "parents", []string{"a", "b"}, "none", []string{}, "ints", []int{1, 2})
		}, beamlog.SevError, `y n=3 ok=true d=1.5s at=2024-05-06T06:08:09.00000001Z parents=a,b none="" ints="[1 2]"`},
		{"groups", func() {
			Info(ctx, "z", slog.Group("shard", "id", "s1", "host", "h"), slog.Group("", "inline", 1), slog.Group("none"), slog.Attr{})
		}, beamlog.SevInfo, "z shard.id=s1 shard.host=h inline=1"},
		{"with", func() {
			slog.New(Handler{}).With("stream", "s").WithGroup("p").With("token", "t").InfoContext(ctx, "w", "start", 5)
		}, beamlog.SevInfo, "w stream=s p.token=t p.start=5"},
		{"debug off", func() { Debug(ctx, "hidden") }, 0, ""},
		{"newline", func() { Info(ctx, "n", "sql", "a\nb") }, beamlog.SevInfo, `n sql="a\nb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.log()
			got := c.take()
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("logged %v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[0].sev != tt.wantSev || got[0].msg != tt.want {
				t.Fatalf("logged %+v, want one entry %d %q", got, tt.wantSev, tt.want)
			}
		})
	}
}

func TestLevel(t *testing.T) {
	c := capturing(t)
	Level.Set(slog.LevelDebug)
	defer Level.Set(slog.LevelInfo)
	Debug(context.Background(), "shown", "k", "v")
	if got := c.take(); len(got) != 1 || got[0].sev != beamlog.SevDebug || got[0].msg != "shown k=v" {
		t.Fatalf("logged %+v, want one debug entry", got)
	}
}

// The worker reports the logging line from a frame count; it must be the
// caller's line, through the package functions and through a slog.Logger.
func TestLocation(t *testing.T) {
	c := capturing(t)
	ctx := context.Background()
	_, _, line, _ := runtime.Caller(0)
	Info(ctx, "a")
	slog.New(Handler{}).WarnContext(ctx, "b")
	got := c.take()
	want := []string{fmt.Sprintf("logs_test.go:%d", line+1), fmt.Sprintf("logs_test.go:%d", line+2)}
	if len(got) != 2 || got[0].loc != want[0] || got[1].loc != want[1] {
		t.Fatalf("locations %+v, want %v", got, want)
	}
}
