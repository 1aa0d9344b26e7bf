package transforms

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

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
		s.note(ctx, st.shard, 5, st.applied, st.err)
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
