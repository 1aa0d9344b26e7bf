package integration_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// TestLocalEnvReplicatesSample is `make local-env` then `make run-local`:
// SetupLocal starts its own emulator in the background and makes the
// sample; before a run MySQL is empty (the check can fail); a second
// SetupLocal keeps everything; run.sh, bounded by an endTimestamp,
// replicates the sample rows; StopLocal stops the emulator, drops the
// shard database and removes the state folder.
func TestLocalEnvReplicatesSample(t *testing.T) {
	testenv.MySQL(t) // MariaDB must be there
	if _, err := os.Stat(localenv.EmulatorPath()); err != nil {
		testenv.Unavailable(t, "Cloud Spanner emulator: %v", err)
	}
	// SetupLocal points SPANNER_EMULATOR_HOST at its emulator; the other
	// tests keep the shared one.
	t.Setenv("SPANNER_EMULATOR_HOST", os.Getenv("SPANNER_EMULATOR_HOST"))
	ctx := context.Background()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	dir := filepath.Join(t.TempDir(), "env")
	opts := localenv.LocalOptions{
		Dir: dir, EmulatorAddr: freeAddr(t), Database: "le" + suffix, Metadata: "lemeta" + suffix,
		MySQLDatabase: "revrepl_le_" + suffix, RepoDir: "..",
	}
	st, err := localenv.SetupLocal(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { localenv.StopLocal(context.Background(), dir) })
	if st.EmulatorPID == 0 || !localenv.IsEmulatorProcess(st.EmulatorPID) || !st.CreatedDatabases || st.Stream != localenv.SampleStream {
		t.Fatalf("SetupLocal = %+v: want a started emulator, created databases, stream %s", st, localenv.SampleStream)
	}
	if rows, _, err := st.VerifySample(ctx); err != nil || rows != 0 {
		t.Fatalf("before any run: MySQL rows %d, error %v; want 0 rows", rows, err)
	}

	again, err := localenv.SetupLocal(ctx, opts)
	if err != nil {
		t.Fatalf("second SetupLocal: %v", err)
	}
	if again.CreatedDatabases || again.EmulatorPID != st.EmulatorPID || !again.StartTimestamp.Equal(st.StartTimestamp) {
		t.Errorf("second SetupLocal = %+v: want everything kept from %+v", again, st)
	}

	end := time.Now().Add(25 * time.Second).UTC().Format(time.RFC3339)
	cmd := exec.Command(filepath.Join(dir, "run.sh"), "--endTimestamp="+end)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run.sh: %v\n%s", err, tail(string(out), 40))
	}
	rows, mismatches, err := st.VerifySample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mismatches {
		t.Error(m)
	}
	if rows != 6 {
		t.Errorf("MySQL has %d sample rows after the run, want 6", rows)
	}

	pid := st.EmulatorPID
	if err := localenv.StopLocal(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if localenv.IsEmulatorProcess(pid) {
		t.Errorf("emulator pid %d still runs after StopLocal", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("state folder %s still there after StopLocal (%v)", dir, err)
	}
}

// TestLocalEnvRefusesIncompleteSchema: the user's own schema needs both
// DDL files and a change stream; the errors say so before anything starts.
func TestLocalEnvRefusesIncompleteSchema(t *testing.T) {
	tests := []struct {
		name          string
		spanner, mysq string
		want          string
	}{
		{"Spanner DDL only", "testdata/localenv/nostream.sql", "", "give both DDL files"},
		{"MySQL DDL only", "", "testdata/localenv/mysql.sql", "give both DDL files"},
		{"no change stream", "testdata/localenv/nostream.sql", "testdata/localenv/mysql.sql", "nostream.sql creates no change stream"},
		{"missing file", "testdata/localenv/absent.sql", "testdata/localenv/mysql.sql", "absent.sql"},
	}
	for _, tc := range tests {
		_, err := localenv.SetupLocal(context.Background(), localenv.LocalOptions{
			Dir: t.TempDir(), EmulatorAddr: "127.0.0.1:1", SpannerDDLFile: tc.spanner, MySQLDDLFile: tc.mysq,
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: SetupLocal error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
