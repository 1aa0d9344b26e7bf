package faults

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
)

// Keys 1..killedSplit are written only before the kill, keys above it all
// along. A change to a low key that the killed job had not applied is
// never overwritten later, so MySQL ends right only if the relaunch reads
// it: a relaunch that started from its own launch time, or lost the killed
// job's partitions, would leave those keys stale. (Changes already read
// but not yet applied at the kill are rare here, since MySQL keeps up;
// changestream.TestRelaunchAfterCrashLosesNothing jams MySQL for those.)
const (
	killedKeys  = 200
	killedSplit = 100
)

// TestKilledPipelineRelaunchedLosesNothing runs the template binary, the
// program users run, as a process of its own, kills it with SIGKILL while
// changes stream in, keeps writing while nothing runs, and launches it
// again with the same parameters up to the end timestamp. No clean-up
// happens in between: whatever the killed process held (Spanner
// transactions and sessions, MySQL connections, partitions marked running)
// is left as a crash leaves it. MySQL must end equal to Spanner.
func TestKilledPipelineRelaunchedLosesNothing(t *testing.T) { killedRelaunch(t) }

// TestKilledPipelineRelaunchedLosesNothingShadowInSource is the same with
// shadowTableLocation=source: the killed process's open MySQL
// transactions held the shadow rows' locks, and the shard's shadow table
// must end with a version for every key the writer wrote.
func TestKilledPipelineRelaunchedLosesNothingShadowInSource(t *testing.T) {
	killedRelaunch(t, "--shadowTableLocation=source")
}

func killedRelaunch(t *testing.T, extraArgs ...string) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	mysqlDB, dsn := testenv.MySQL(t)
	if _, err := mysqlDB.Exec("CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(100), Ver BIGINT)"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, mysqlDB, dsn)
	mcfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprint(time.Now().UnixNano() % 1e9)
	mainID, metaID := "killed"+suffix, "killedmeta"+suffix
	mainDB := testenv.CreateDatabase(t, emu, mainID, false, []string{
		"CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(100), Ver INT64) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM items_cs FOR Items OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')",
	})
	// One metadata database for the shadow tables and the partitions, as
	// most users run it: the killed process's open read-write transaction
	// there is in the way of everything the relaunch does.
	metaDB := testenv.CreateDatabase(t, emu, metaID, false, nil)
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	bin := testenv.BuildTemplate(t)
	dlqDir := t.TempDir()

	start := time.Now().UTC()
	end := start.Add(90 * time.Second)
	args := []string{
		"--changeStreamName=items_cs", "--instanceId=" + emu.Instance, "--databaseId=" + mainID,
		"--spannerProjectId=" + emu.Project, "--metadataInstance=" + emu.Instance, "--metadataDatabase=" + metaID,
		"--sourceShardsFilePath=" + shardFile, "--deadLetterQueueDirectory=" + dlqDir,
		"--startTimestamp=" + start.Format(time.RFC3339Nano), "--endTimestamp=" + end.Format(time.RFC3339Nano),
	}
	args = append(args, extraArgs...)
	logDir := t.TempDir()
	first := startChild(t, bin, args, filepath.Join(logDir, "first.log"))

	metaClient, err := spanner.NewClient(ctx, metaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer metaClient.Close()
	job := meta.Table{Client: metaClient, Name: meta.DefaultTableName(mainID, "items_cs")}

	w := &writer{client: client, rng: rand.New(rand.NewPCG(7, 11)), exists: map[int64]bool{},
		killReq: make(chan func()), killed: make(chan int, 1)}
	w.lowKey.Store(1)
	// The writer stops well before the end timestamp: a change committed
	// after it is not replicated, by design.
	stopAt := end.Add(-10 * time.Second)
	written := make(chan error, 1)
	go func() { written <- w.run(ctx, stopAt) }()
	defer w.stop.Store(true)

	// Killed once it has stored an applied watermark past the start, so
	// that the relaunch resumes from the middle rather than re-reading all.
	var inMySQL int
	var progress time.Time
	waitUntil(t, first, "the first job to apply changes and store its progress", end.Add(-40*time.Second), func() bool {
		if err := mysqlDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM Items").Scan(&inMySQL); err != nil {
			t.Fatal(err)
		}
		if inMySQL > 0 {
			progress = storedApplied(t, ctx, job)
		}
		return inMySQL >= 20 && progress.After(start.Add(time.Second))
	}, func() string {
		return fmt.Sprintf("%d rows in MySQL, applied watermark %s (the start is %s)", inMySQL, progress.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano))
	})

	var beforeKill int
	select {
	case w.killReq <- first.signal:
	case err := <-written:
		t.Fatalf("the writer stopped early: %v", err)
	}
	select {
	case beforeKill = <-w.killed:
	case err := <-written:
		t.Fatalf("the writer stopped early: %v", err)
	}
	killedAt := time.Now()
	first.checkKilled(t)

	// MySQL sessions of a dead process end when the server reads EOF, and
	// their open transactions roll back; until then a commit sent just
	// before the kill could still land, so MySQL is looked at only after.
	waitUntil(t, nil, "the killed process's MySQL sessions to end", killedAt.Add(30*time.Second), func() bool {
		var n int
		if err := mysqlDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ? AND DB = ?",
			testenv.ShardUser, mcfg.DBName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	applied := storedApplied(t, ctx, job)
	pending := unappliedLowKeys(t, ctx, mysqlDB, w.snapshot(beforeKill))
	t.Logf("killed after %d of the writer's changes; applied watermark %s; %d low keys with a change not applied",
		beforeKill, applied.Format(time.RFC3339Nano), len(pending))
	if len(pending) == 0 {
		t.Fatal("the kill left no change unapplied, so this test would not notice a relaunch that skips changes")
	}
	for _, c := range pending {
		if c.at.Before(applied) {
			t.Errorf("the applied watermark %s passed a change to key %d committed at %s, which is not in MySQL",
				applied.Format(time.RFC3339Nano), c.key, c.at.Format(time.RFC3339Nano))
		}
	}

	// Changes keep coming while nothing runs.
	time.Sleep(5 * time.Second)
	if w.stopped.Load() {
		t.Fatalf("the writer stopped early: %v", <-written)
	}
	second := startChild(t, bin, args, filepath.Join(logDir, "second.log"))
	if err := second.wait(end.Add(5 * time.Minute)); err != nil {
		t.Fatalf("the relaunch did not end well: %v\n%s", err, second.tail())
	}
	if err := <-written; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if last := w.changes[len(w.changes)-1].at; !last.Before(end) {
		t.Fatalf("the writer committed at %s, after the end timestamp %s: the test ran too slowly to mean anything", last, end)
	}

	rows, mismatches, err := localenv.CompareTable(ctx, client, []localenv.Shard{{DB: mysqlDB}}, localenv.Table{Name: "Items", Key: []string{"Id"}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := localenv.ReadDLQ(dlqDir, "")
	if err != nil {
		t.Fatal(err)
	}
	unexplained := localenv.Unexplained(mismatches, lines)
	t.Logf("%d changes written, %d rows compared, %d mismatches (%d not explained by the %d DLQ lines)",
		len(w.changes), rows, len(mismatches), len(unexplained), len(lines))
	for _, m := range mismatches {
		t.Errorf("mismatch: %s", m)
	}
	if len(lines) > 0 {
		t.Errorf("the DLQ holds %d lines, want none (nothing here can fail to apply); the first: %+v", len(lines), lines[0])
	}
	if got, want := storedApplied(t, ctx, job), end.Truncate(time.Millisecond).Add(time.Millisecond); !got.Equal(want) {
		t.Errorf("final applied watermark %s, want just past the end timestamp (%s)", got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
	if len(extraArgs) > 0 { // shadowTableLocation=source
		var keys, versioned int
		if err := mysqlDB.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(processed_commit_ts) FROM shadow_Items").Scan(&keys, &versioned); err != nil {
			t.Fatalf("the shard's shadow table: %v", err)
		}
		written := map[int64]bool{}
		for _, c := range w.changes {
			written[c.key] = true
		}
		if versioned != len(written) || keys != versioned {
			t.Errorf("the shard's shadow table has %d rows, %d versioned; the writer wrote %d keys", keys, versioned, len(written))
		}
	}
	if t.Failed() {
		t.Logf("first job's output:\n%s\nrelaunch's output:\n%s", first.tail(), second.tail())
	}
}

// child is one run of the template binary.
type child struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

func startChild(t *testing.T, bin string, args []string, logPath string) *child {
	t.Helper()
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own descriptor
	c := &child{cmd: exec.Command(bin, args...), logPath: logPath, done: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = out, out
	// A group of its own, so that the kill reaches anything it might
	// start; Pdeathsig, so that a test that dies takes it along.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	})
	return c
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// signal sends SIGKILL to the child's process group and waits for the
// child to be gone.
func (c *child) signal() {
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

// checkKilled checks that the child died of the SIGKILL, not before, and
// that nothing of its group survived: the runner and the SDK harness run
// inside the process, and must die with it.
func (c *child) checkKilled(t *testing.T) {
	t.Helper()
	var exit *exec.ExitError
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !errors.As(c.err, &exit) || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the job ended with %v, not by the SIGKILL\n%s", c.err, c.tail())
	}
	if err := syscall.Kill(-c.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("processes of the killed job's group survive (kill -0: %v)", err)
	}
}

// wait waits for the child to exit, until deadline; an exit code other
// than 0 is an error.
func (c *child) wait(deadline time.Time) error {
	select {
	case <-c.done:
		return c.err
	case <-time.After(time.Until(deadline)):
		return fmt.Errorf("still running at %s", deadline.Format(time.RFC3339))
	}
}

// tail is the end of the child's output.
func (c *child) tail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 60 {
		lines = append([][]byte{[]byte("...")}, lines[len(lines)-60:]...)
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// waitUntil polls cond until it holds; it fails t at deadline, or as soon
// as c (when given) exits, since then cond may never hold. state, when
// given, says where things stood.
func waitUntil(t *testing.T, c *child, what string, deadline time.Time, cond func() bool, state ...func() string) {
	t.Helper()
	for !cond() {
		msg := ""
		for _, s := range state {
			msg += "; " + s()
		}
		if c != nil && c.exited() {
			t.Fatalf("the job ended (%v) while waiting for %s%s\n%s", c.err, what, msg, c.tail())
		}
		if time.Now().After(deadline) {
			if c != nil {
				msg += "\n" + c.tail()
			}
			t.Fatalf("gave up waiting for %s at %s%s", what, deadline.Format(time.RFC3339), msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// writerChange is one key's change; ver is 0 for a delete. Versions grow
// over the whole run, so a MySQL row's Ver tells how far its key got.
type writerChange struct {
	key, ver int64
	at       time.Time
}

// writer commits a transaction of one to three keys about every 100 ms,
// from one goroutine, until told to stop. The kill happens on that
// goroutine too, so that which changes were committed before it is exact.
type writer struct {
	client *spanner.Client
	rng    *rand.Rand
	ver    int64
	exists map[int64]bool
	// lowKey is the lowest key written from now on.
	lowKey atomic.Int64
	// killReq asks run to call a function (the kill) at the end of a
	// burst; killed answers with how many changes were committed before.
	killReq chan func()
	killed  chan int
	// stop asks run to return; stopped says it did.
	stop, stopped atomic.Bool

	mu      sync.Mutex
	changes []writerChange
}

func (w *writer) run(ctx context.Context, until time.Time) error {
	defer w.stopped.Store(true)
	for !w.stop.Load() && time.Now().Before(until) {
		select {
		case kill := <-w.killReq:
			// A burst of low keys right before the kill: whatever the
			// job's lag, the last of them cannot be in MySQL yet.
			for range 10 {
				if err := w.step(ctx, 1, killedSplit); err != nil {
					return err
				}
			}
			w.mu.Lock()
			n := len(w.changes)
			w.mu.Unlock()
			kill()
			w.lowKey.Store(killedSplit + 1)
			w.killed <- n
		default:
		}
		if err := w.step(ctx, w.lowKey.Load(), killedKeys); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// step commits one transaction changing one to three keys of [lo, hi].
func (w *writer) step(ctx context.Context, lo, hi int64) error {
	var muts []*spanner.Mutation
	var chs []writerChange
	picked := map[int64]bool{}
	cols := []string{"Id", "Name", "Ver"}
	for range 1 + w.rng.IntN(3) {
		k := lo + w.rng.Int64N(hi-lo+1)
		if picked[k] {
			continue
		}
		picked[k] = true
		switch {
		case w.exists[k] && w.rng.IntN(4) == 0:
			muts = append(muts, spanner.Delete("Items", spanner.Key{k}))
			chs = append(chs, writerChange{key: k})
			continue
		case w.exists[k]:
			w.ver++
			muts = append(muts, spanner.Update("Items", cols, []any{k, fmt.Sprintf("item %d v%d", k, w.ver), w.ver}))
		default:
			w.ver++
			muts = append(muts, spanner.Insert("Items", cols, []any{k, fmt.Sprintf("item %d v%d", k, w.ver), w.ver}))
		}
		chs = append(chs, writerChange{key: k, ver: w.ver})
	}
	at, err := w.client.Apply(ctx, muts)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range chs {
		c.at = at
		w.changes = append(w.changes, c)
		w.exists[c.key] = c.ver != 0
	}
	return nil
}

func (w *writer) snapshot(n int) []writerChange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]writerChange(nil), w.changes[:n]...)
}

// unappliedLowKeys returns, for each low key (never written after the kill)
// whose last change among changes is not in MySQL, that change.
func unappliedLowKeys(t *testing.T, ctx context.Context, db *sql.DB, changes []writerChange) []writerChange {
	t.Helper()
	last := map[int64]writerChange{}
	for _, c := range changes {
		if c.key <= killedSplit {
			last[c.key] = c
		}
	}
	have := map[int64]int64{}
	rows, err := db.QueryContext(ctx, "SELECT Id, Ver FROM Items")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, ver int64
		if err := rows.Scan(&id, &ver); err != nil {
			t.Fatal(err)
		}
		have[id] = ver
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var out []writerChange
	for k, c := range last {
		ver, ok := have[k]
		if (c.ver == 0 && ok) || (c.ver != 0 && (!ok || ver < c.ver)) {
			out = append(out, c)
		}
	}
	return out
}

// storedApplied reads the applied watermark the job stored: the relaunch
// reads again from there.
func storedApplied(t *testing.T, ctx context.Context, job meta.Table) time.Time {
	t.Helper()
	j, ok, err := job.Job(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return time.Time{} // not launched yet
	}
	return j.Applied
}
