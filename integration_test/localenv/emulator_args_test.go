package localenv_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
)

func TestEmulatorArgs(t *testing.T) {
	oneScan := localenv.ChopFlag + "=" + localenv.OneScanChop
	tests := []struct {
		name  string
		flags []string
		want  []string
	}{
		{"no flags", nil, []string{"--host_port", "a:1", oneScan}},
		{"other flags kept", []string{"--x=1"}, []string{"--host_port", "a:1", "--x=1", oneScan}},
		{"own slice length wins", []string{localenv.ChopFlag + "=1ms"}, []string{"--host_port", "a:1", localenv.ChopFlag + "=1ms"}},
		{"own slice length as two arguments", []string{localenv.ChopFlag, "1ms"}, []string{"--host_port", "a:1", localenv.ChopFlag, "1ms"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := localenv.EmulatorArgs("a:1", tc.flags); !slices.Equal(got, tc.want) {
				t.Errorf("EmulatorArgs = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestEmulatorServesAQueryInOneScan: the emulator we start answers a
// partition query with one scan, which shows as at most one heartbeat per
// query; a sliced query sends one per empty slice (about 20 here with the
// emulator's default 100 ms slices) and drops every commit that falls
// exactly on a slice end (see localenv.OneScanChop). Commits made while the
// queries run must all come back.
func TestEmulatorServesAQueryInOneScan(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	db := testenv.CreateDatabase(t, emu, fmt.Sprintf("onescan%d", time.Now().UnixNano()%1e8), false, []string{
		"CREATE TABLE T (K INT64 NOT NULL, V INT64) PRIMARY KEY (K)",
		"CREATE CHANGE STREAM cs FOR ALL OPTIONS (value_capture_type = 'NEW_ROW')",
	})
	client, err := spanner.NewClient(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	t0 := time.Now()
	var tokens []string
	err = streamquery.Query{Stream: "cs", Start: t0, End: t0, HeartbeatMillis: 100}.Run(ctx, client, func(it decode.Item) error {
		for _, c := range it.Children {
			tokens = append(tokens, c.Token)
		}
		return nil
	})
	if err != nil || len(tokens) == 0 {
		t.Fatalf("initial query: %d partitions, %v", len(tokens), err)
	}

	end := t0.Add(2 * time.Second)
	var (
		mu         sync.Mutex
		returned   = map[int64]int{}
		heartbeats = make([]int, len(tokens))
		wg         sync.WaitGroup
		errs       = make([]error, len(tokens))
	)
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := streamquery.Query{Stream: "cs", Token: tok, Start: t0, End: end, HeartbeatMillis: 100}
			errs[i] = q.Run(ctx, client, func(it decode.Item) error {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case it.Data != nil:
					returned[it.Data.CommitTimestamp.Time().UnixNano()]++
				case len(it.Children) == 0:
					heartbeats[i]++
				}
				return nil
			})
		}()
	}
	var commits []time.Time
	for i := int64(0); time.Now().Before(end.Add(-500 * time.Millisecond)); i++ {
		at, err := client.Apply(ctx, []*spanner.Mutation{spanner.InsertOrUpdate("T", []string{"K", "V"}, []any{i % 10, i})})
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, at)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("partition %d: %v", i, err)
		}
	}
	for i, n := range heartbeats {
		if n > 1 {
			t.Errorf("partition %d sent %d heartbeats in one query: the emulator sliced it (started without %s=%s?)",
				i, n, localenv.ChopFlag, localenv.OneScanChop)
		}
	}
	if len(commits) == 0 {
		t.Fatal("no commit made while the queries ran")
	}
	for _, at := range commits {
		if returned[at.UnixNano()] != 1 {
			t.Errorf("commit at %s returned %d times", at.Format(time.RFC3339Nano), returned[at.UnixNano()])
		}
	}
}
