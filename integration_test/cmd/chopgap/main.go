// Command chopgap shows, without our change-stream reader, whether the
// Cloud Spanner emulator returns every committed change from a partition
// query. It commits single-row transactions as fast as the emulator takes
// them while a query reads [t0, t0+duration+1s] (both ends inclusive, as
// the protocol promises), then compares the commit timestamps with the data
// change records returned.
//
// The emulator serves a query in slices of
// --change_streams_partition_query_chop_interval (100 ms by default): a
// middle slice reads commit_timestamp >= start AND < sliceEnd, and the next
// slice starts at sliceEnd + 1µs, so a commit in [sliceEnd, sliceEnd+1µs)
// is returned by neither. t0 is a little in the future, so the first slice
// ends at t0+chop and slice k at b_k = t0 + chop + k*(chop+1µs) (-heartbeats
// prints the heartbeats that empty slices end with, which shows that
// spacing). For every missing commit the command prints C - b_k for the
// nearest boundary: 0 <= C - b_k < 1µs means it sat on a slice boundary.
// A commit is lost with probability about (commits per µs) per boundary:
// expect about duration/chop * commitsPerSecond * 1e-6 losses. The emulator
// serves a sliced query slowly (a few transactions per slice, each scanning
// the change-stream data table, and none while commits keep coming), so a
// long -duration with a short -chop takes many minutes after the commits.
//
// With -windows it reads back-to-back bounded queries [s, e], [e+1ns, ...]
// of -window each, as our reader does (run it with a -chop longer than the
// window so that no query is sliced).
//
//	go run ./integration_test/cmd/chopgap -chop 100ms -duration 1s -heartbeats
//	go run ./integration_test/cmd/chopgap -chop 10ms -duration 10s
//	go run ./integration_test/cmd/chopgap -chop 240h -duration 60s
//	go run ./integration_test/cmd/chopgap -chop 240h -windows -window 300ms -duration 60s
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"sync"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
)

type options struct {
	chop, duration, window   time.Duration
	windows, heartbeats, all bool
}

func main() {
	var o options
	flag.DurationVar(&o.chop, "chop", 100*time.Millisecond, "the emulator's --change_streams_partition_query_chop_interval")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long to commit")
	flag.BoolVar(&o.windows, "windows", false, "read back-to-back bounded windows instead of one query")
	flag.DurationVar(&o.window, "window", time.Second, "window length with -windows")
	flag.BoolVar(&o.heartbeats, "heartbeats", false, "print every heartbeat")
	flag.BoolVar(&o.all, "all", false, "read every partition, not only the one the emulator writes to")
	flag.Parse()
	missing, err := run(o)
	if err != nil {
		log.Fatal(err)
	}
	if missing > 0 {
		os.Exit(1)
	}
}

func run(o options) (int, error) {
	ctx := context.Background()
	// No churn: the stream keeps its two initial partitions, so one query
	// per partition covers the whole run.
	emu, err := localenv.StartEmulator(ctx, "", "--enable_change_stream_churning=false",
		localenv.ChopFlag+"="+o.chop.String())
	if err != nil {
		return 0, err
	}
	defer emu.Stop()
	db, err := emu.CreateDatabase(ctx, "chopgap", false, []string{
		"CREATE TABLE T (K INT64 NOT NULL, V INT64) PRIMARY KEY (K)",
		"CREATE CHANGE STREAM cs FOR ALL OPTIONS (value_capture_type = 'NEW_ROW')",
	})
	if err != nil {
		return 0, err
	}
	client, err := spanner.NewClient(ctx, db)
	if err != nil {
		return 0, err
	}
	defer client.Close()

	now := time.Now()
	var tokens []string
	err = streamquery.Query{Stream: "cs", Start: now, End: now, HeartbeatMillis: 1000}.Run(ctx, client, func(it decode.Item) error {
		for _, c := range it.Children {
			tokens = append(tokens, c.Token)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("initial query: %w", err)
	}
	// The emulator writes every change to the active partition whose token
	// sorts first; the others only send heartbeats.
	sort.Strings(tokens)
	if !o.all {
		tokens = tokens[:1]
	}

	t0 := time.Now().Add(300 * time.Millisecond)
	end := t0.Add(o.duration + time.Second)
	var (
		mu      sync.Mutex
		seen    = map[int64]int{}
		wg      sync.WaitGroup
		errs    = make(chan error, len(tokens))
		queries int
		reached time.Time // the latest position any query returned
	)
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last time.Time
			collect := func(it decode.Item) error {
				mu.Lock()
				defer mu.Unlock()
				if p := it.Position(); p.After(reached) {
					reached = p
				}
				switch {
				case it.Data != nil:
					seen[it.Data.CommitTimestamp.Time().UnixNano()]++
				case len(it.Children) == 0 && o.heartbeats:
					fmt.Printf("heartbeat %s partition %.8s, %s after the previous one\n",
						it.Heartbeat.UTC().Format(time.RFC3339Nano), tok, it.Heartbeat.Sub(last))
					last = it.Heartbeat
				}
				return nil
			}
			for from := t0; !from.After(end); {
				to := end
				if o.windows {
					if to = time.Now().Add(o.window); to.After(end) {
						to = end
					}
				}
				q := streamquery.Query{Stream: "cs", Token: tok, Start: from, End: to, HeartbeatMillis: 100}
				if err := q.Run(ctx, client, collect); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				queries++
				mu.Unlock()
				from = to.Add(time.Nanosecond)
			}
			errs <- nil
		}()
	}

	var commits []time.Time
	for i := 0; time.Now().Before(t0.Add(o.duration)); i++ {
		at, err := client.Apply(ctx, []*spanner.Mutation{spanner.InsertOrUpdate("T", []string{"K", "V"}, []any{int64(i % 100), int64(i)})})
		if err != nil {
			return 0, fmt.Errorf("commit %d: %w", i, err)
		}
		if !at.Before(t0) {
			commits = append(commits, at)
		}
	}
	// A sliced query over a past range runs far behind the clock (each
	// slice is a few transactions in the emulator): show that it moves.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(10 * time.Second):
			mu.Lock()
			fmt.Fprintf(os.Stderr, "reading: at t0+%s of t0+%s\n", reached.Sub(t0).Round(time.Millisecond), end.Sub(t0))
			mu.Unlock()
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			return 0, fmt.Errorf("partition query: %w", err)
		}
	}

	var missing []time.Time
	for _, at := range commits {
		if seen[at.UnixNano()] == 0 {
			missing = append(missing, at)
		}
	}
	mode := "one query"
	if o.windows {
		mode = fmt.Sprintf("%d back-to-back windows of %s", queries, o.window)
	}
	fmt.Printf("chop %s, %s, %d partitions read: %d commits from t0, %d returned, %d missing\n",
		o.chop, mode, len(tokens), len(commits), len(seen), len(missing))
	step := o.chop + time.Microsecond
	for _, at := range missing {
		k := at.Sub(t0.Add(o.chop)) / step
		b := t0.Add(o.chop + k*step)
		fmt.Printf("  missing %s: nearest slice end below it b_%d = %s, C - b = %s\n",
			at.UTC().Format(time.RFC3339Nano), k, b.UTC().Format(time.RFC3339Nano), at.Sub(b))
	}
	return len(missing), nil
}
