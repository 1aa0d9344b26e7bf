package transforms

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
)

type captureLog struct {
	mu   sync.Mutex
	msgs []string
}

func (c *captureLog) Log(_ context.Context, _ beamlog.Severity, _ int, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.HasPrefix(msg, "shard ") {
		c.msgs = append(c.msgs, msg)
	}
}

func TestShardStateLogsTransitionsOnly(t *testing.T) {
	c := &captureLog{}
	beamlog.SetLogger(c)
	defer beamlog.SetLogger(&beamlog.Structural{})
	ctx := context.Background()
	down := fmt.Errorf("MySQL: starting a transaction: %w", driver.ErrBadConn)
	lock := mysql.Classify(&mysqldrv.MySQLError{Number: mysql.ErLockWaitTimeout, Message: "Lock wait timeout exceeded"}) // as the writer returns it
	steps := []struct {
		shard   string
		applied int
		err     error
		want    string // prefix of the line logged, "" for none
	}{
		{"s1", 3, nil, ""},
		{"s1", 0, lock, ""},
		{"s1", 0, down, "shard unreachable shard=s1 records=5 error="},
		{"s1", 0, down, ""},
		{"s2", 0, down, "shard unreachable shard=s2"},
		{"s1", 0, nil, ""}, // nothing written: no proof the shard is back
		{"s1", 0, errors.New("a statement failed"), ""},
		{"s1", 2, nil, "shard reachable again shard=s1 down_for="},
		{"s1", 2, nil, ""},
		{"s1", 0, down, "shard unreachable shard=s1"},
	}
	var s shardState
	for i, st := range steps {
		s.note(ctx, st.shard, st.shard, 5, st.applied, st.err)
		c.mu.Lock()
		got := c.msgs
		c.msgs = nil
		c.mu.Unlock()
		switch {
		case st.want == "" && len(got) != 0:
			t.Errorf("step %d: logged %q, want nothing", i, got)
		case st.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], st.want)):
			t.Errorf("step %d: logged %q, want one line starting %q", i, got, st.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if unreachable(cancelled, down) {
		t.Error("unreachable after the worker's context ended")
	}
}

// While a shard is down, one write at a time probes it, at most every
// probeEvery; the others are not tried, so they cannot hold back the
// batches of healthy shards behind a connection deadline.
func TestAdmitProbesADownShardOneWriteAtATime(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	s := &shardState{now: func() time.Time { return now }}
	step := func(what string, got, want bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s: admit = %v, want %v", what, got, want)
		}
	}
	step("healthy shard", s.admit("a"), true)
	step("healthy shard again", s.admit("a"), true)
	s.note(ctx, "a", "a", 3, 0, fmt.Errorf("connecting: %w", driver.ErrBadConn))
	step("just found down", s.admit("a"), false)
	step("other shard unaffected", s.admit("b"), true)
	now = now.Add(probeEvery)
	step("probe due", s.admit("a"), true)
	step("while the probe runs", s.admit("a"), false)
	now = now.Add(2 * probeEvery)
	step("still probing, however long", s.admit("a"), false)
	s.note(ctx, "a", "a", 3, 0, fmt.Errorf("connecting: %w", driver.ErrBadConn))
	step("probe failed: wait again", s.admit("a"), false)
	now = now.Add(probeEvery)
	step("next probe", s.admit("a"), true)
	s.note(ctx, "a", "a", 3, 3, nil)
	step("back: every write", s.admit("a"), true)
	step("back: every write again", s.admit("a"), true)
}
