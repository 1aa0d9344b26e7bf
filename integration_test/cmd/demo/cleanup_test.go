package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// mainEnv makes the test binary run the demo's main instead of the tests,
// so that TestInterruptCleansUp runs the real command without building it.
const mainEnv = "REVREPL_DEMO_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testMySQL(t *testing.T) (*sql.DB, string) {
	t.Helper()
	root, _ := testenv.MySQL(t) // skips, or fails in CI, without MariaDB
	addr := os.Getenv("REVREPL_MYSQL_ADDR")
	if addr == "" {
		addr = "127.0.0.1:3306"
	}
	return root, addr
}

// leftovers counts what a demo run named prefix left in MySQL: databases
// named prefix_*, and the account prefix.
func leftovers(t *testing.T, root *sql.DB, prefix string) (dbs, users int) {
	t.Helper()
	like := strings.ReplaceAll(prefix, "_", `\_`) + `\_%`
	if err := root.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", like).Scan(&dbs); err != nil {
		t.Fatal(err)
	}
	if err := root.QueryRow("SELECT COUNT(*) FROM mysql.user WHERE User = ?", prefix).Scan(&users); err != nil {
		t.Fatal(err)
	}
	return dbs, users
}

// dropLeftovers removes what a failed test run may have left.
func dropLeftovers(t *testing.T, root *sql.DB, prefix string) {
	t.Helper()
	for _, id := range localenv.DemoShards {
		root.Exec("DROP DATABASE IF EXISTS `" + prefix + "_" + id + "`")
	}
	root.Exec("DROP USER IF EXISTS `" + prefix + "`@`%`")
}

func randomPrefix(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "revrepl_demotest_" + hex.EncodeToString(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Without --keep the run's MySQL databases, its user and its folder are
// gone after release; with --keep they stay and the output says how to
// remove each.
func TestReleaseRemovesOrKeeps(t *testing.T) {
	root, addr := testMySQL(t)
	for _, keep := range []bool{false, true} {
		name := map[bool]string{false: "removes", true: "keeps with --keep"}[keep]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			prefix := randomPrefix(t)
			t.Cleanup(func() { dropLeftovers(t, root, prefix) })
			shards, err := localenv.CreateDemoShards(ctx, addr, "root", prefix)
			if err != nil {
				t.Fatal(err)
			}
			// A folder name a shell would split or end a quote in.
			dir := filepath.Join(t.TempDir(), "revrepl demo's run")
			if err := os.MkdirAll(filepath.Join(dir, "dlq", "retry"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "pipeline.log"), []byte("log\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if dbs, users := leftovers(t, root, prefix); dbs != 2 || users != 1 {
				t.Fatalf("before release: %d databases, %d users, want 2 and 1", dbs, users)
			}
			res := &resources{}
			res.addFolder(dir)
			res.addShards(shards, addr, "root")

			var out bytes.Buffer
			if err := res.release(ctx, keep, &out); err != nil {
				t.Fatalf("release: %v\n%s", err, out.String())
			}
			dbs, users := leftovers(t, root, prefix)
			if keep {
				if dbs != 2 || users != 1 || !exists(dir) {
					t.Errorf("with --keep: %d databases, %d users, folder there %v; want 2, 1, true", dbs, users, exists(dir))
				}
				for _, want := range []string{"rm -rf " + shellQuote(dir), "DROP DATABASE IF EXISTS `" + prefix + "_shard1`",
					"DROP DATABASE IF EXISTS `" + prefix + "_shard2`", "DROP USER IF EXISTS `" + prefix + "`@`%`"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("--keep output does not say %q:\n%s", want, out.String())
					}
				}
				// The printed command is one shell word after -e: what
				// is inside its single quotes must hold none.
				m := regexp.MustCompile(`(?m)^ *mysql -h\S+ -P\d+ -uroot -e '([^']*)'$`).FindStringSubmatch(out.String())
				if m == nil {
					t.Fatalf("--keep output has no well-quoted mysql command:\n%s", out.String())
				}
				for _, st := range strings.Split(m[1], "; ") {
					if _, err := root.Exec(st); err != nil {
						t.Errorf("the printed statement %q: %v", st, err)
					}
				}
				if dbs, users := leftovers(t, root, prefix); dbs != 0 || users != 0 {
					t.Errorf("after the printed statements: %d databases, %d users; want 0 and 0", dbs, users)
				}
				// The printed rm command, run by a shell, removes the
				// folder and nothing else.
				rm := regexp.MustCompile(`(?m)^ *(rm -rf .*)$`).FindStringSubmatch(out.String())
				if rm == nil {
					t.Fatalf("--keep output has no rm command:\n%s", out.String())
				}
				if b, err := exec.Command("sh", "-c", rm[1]).CombinedOutput(); err != nil {
					t.Errorf("the printed %q: %v\n%s", rm[1], err, b)
				}
				if exists(dir) {
					t.Errorf("the printed %q left the folder there", rm[1])
				}
				return
			}
			if dbs != 0 || users != 0 || exists(dir) {
				t.Errorf("after release: %d databases, %d users, folder there %v; want 0, 0, false\n%s", dbs, users, exists(dir), out.String())
			}
			if !strings.Contains(out.String(), "removed: folder "+dir) {
				t.Errorf("release does not say what it removed:\n%s", out.String())
			}
		})
	}
}

// A failed setup leaves nothing behind: here the second shard's database
// exists already.
func TestCreateDemoShardsRemovesWhatItCreatedOnError(t *testing.T) {
	root, addr := testMySQL(t)
	prefix := randomPrefix(t)
	t.Cleanup(func() { dropLeftovers(t, root, prefix) })
	if _, err := root.Exec("CREATE DATABASE `" + prefix + "_shard2`"); err != nil {
		t.Fatal(err)
	}
	if _, err := localenv.CreateDemoShards(context.Background(), addr, "root", prefix); err == nil {
		t.Fatal("CreateDemoShards succeeded with its database taken")
	}
	if dbs, users := leftovers(t, root, prefix); dbs != 1 || users != 0 {
		t.Errorf("after the failed setup: %d databases, %d users; want only the one that was there (1) and 0", dbs, users)
	}
}

// Ctrl-C in the middle of replication removes the run's MySQL databases
// and user, its folder, and the emulator it started, and exits with 130.
func TestInterruptCleansUp(t *testing.T) {
	root, addr := testMySQL(t)
	if _, err := os.Stat(localenv.EmulatorPath()); err != nil {
		testenv.Unavailable(t, "Cloud Spanner emulator: %v", err)
	}
	parent := t.TempDir()
	cmd := exec.Command(os.Args[0], "--duration=40s", "--emulator=", "--mysql="+addr, "--dir="+parent)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killer := time.AfterFunc(3*time.Minute, func() { cmd.Process.Kill() })
	defer killer.Stop()

	userRE := regexp.MustCompile(`pipeline user (\S+)\)`)
	emuRE := regexp.MustCompile(`^Spanner emulator (\S+):`)
	var user, emuAddr string
	var lines []string
	sc := bufio.NewScanner(stdout)
	interrupted := false
	for sc.Scan() {
		l := sc.Text()
		lines = append(lines, l)
		if m := userRE.FindStringSubmatch(l); m != nil && user == "" {
			user = m[1]
			t.Cleanup(func() { dropLeftovers(t, root, user) })
		}
		if m := emuRE.FindStringSubmatch(l); m != nil {
			emuAddr = m[1]
		}
		// The first progress line: the pipeline and the workload run.
		if strings.HasPrefix(l, "[") && !interrupted {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			interrupted = true
		}
	}
	err = cmd.Wait()
	out := strings.Join(lines, "\n") + "\n" + stderr.String()
	if !interrupted || user == "" || emuAddr == "" {
		t.Fatalf("the demo ended before it was interrupted (err %v):\n%s", err, out)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want exit status 130\n%s", err, out)
	}
	// The pipeline is cancelled, and has stopped, before the cleanup.
	if !strings.Contains(stderr.String(), "pipeline stopped") {
		t.Errorf("after Ctrl-C the pipeline was not seen to stop before the cleanup\n%s", out)
	}
	if dbs, users := leftovers(t, root, user); dbs != 0 || users != 0 {
		t.Errorf("after Ctrl-C: %d MySQL databases, %d users of the run left\n%s", dbs, users, out)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("after Ctrl-C: %v left in --dir\n%s", entries, out)
	}
	t.Logf("the demo's output:\n%s", out)
	if localenv.Reachable(emuAddr) {
		t.Errorf("after Ctrl-C: the emulator the demo started still listens on %s\n%s", emuAddr, out)
	}
}
