package transforms

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"

	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

type sevLog struct {
	mu    sync.Mutex
	lines map[beamlog.Severity][]string
}

func (c *sevLog) Log(_ context.Context, sev beamlog.Severity, _ int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines[sev] = append(c.lines[sev], msg)
}

// Severe records are logged one by one with what a person needs to find
// them; retryable ones never at Info, only as one Debug line per batch.
func TestDeadLettersLogging(t *testing.T) {
	c := &sevLog{lines: map[beamlog.Severity][]string{}}
	beamlog.SetLogger(c)
	defer beamlog.SetLogger(&beamlog.Structural{})
	logs.Level.Set(slog.LevelDebug)
	defer logs.Level.Set(slog.LevelInfo)

	rec := func(keys string) record.Record {
		r := record.Record{TableName: "Singers", Shard: "s1", RecordSequence: "1"}
		r.Mod.KeysJSON = keys
		return r
	}
	var failures []apply.Failure
	for i := 0; i < 3; i++ {
		failures = append(failures, apply.Failure{Record: rec(`{"Id":"9"}`), Err: errors.New("parent row missing")})
	}
	failures = append(failures, apply.Failure{Record: rec(`{"Id":"1"}`), Err: failure.MarkSevere(errors.New("data too long"))})
	d := newDeadLetters(DeadLetterConfig{Root: t.TempDir(), SkipDir: "skip"})
	if err := d.file(context.Background(), failures); err != nil {
		t.Fatal(err)
	}
	if got := c.lines[beamlog.SevInfo]; len(got) != 0 {
		t.Errorf("info lines %q, want none", got)
	}
	want := `record to severe table=Singers keys="{\"Id\":\"1\"}" shard=s1 commit=`
	if got := c.lines[beamlog.SevWarn]; len(got) != 1 || !strings.HasPrefix(got[0], want) ||
		!strings.HasSuffix(got[0], `error="data too long"`) {
		t.Errorf("warn lines %q, want one starting %q", got, want)
	}
	if got := c.lines[beamlog.SevDebug]; len(got) != 1 || got[0] != `records to retry count=3 first_error="parent row missing"` {
		t.Errorf("debug lines %q, want one per batch", got)
	}
}
