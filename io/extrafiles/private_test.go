package extrafiles

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFallbackIsPrivate: where /extra_files cannot be used (a local run
// without root, or a folder another user may write to), files go to a new
// private folder of this process, never to a shared $TMPDIR/extra_files
// another local user could have created first to swap a CA file.
func TestFallbackIsPrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv(DirEnv, "")
	planted := filepath.Join(tmp, "extra_files")
	if err := os.MkdirAll(planted, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(planted, "ca.pem"), []byte("attacker's CA"), 0o666); err != nil {
		t.Fatal(err)
	}
	// /extra_files stands for a folder others may write to.
	open := filepath.Join(t.TempDir(), "extra_files")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	old := defaultDir
	defaultDir = open
	t.Cleanup(func() { defaultDir = old })
	newProcess()
	t.Cleanup(newProcess)

	src := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(src, []byte("our CA"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Stage(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if got == planted || got == open || filepath.Dir(got) != tmp {
		t.Errorf("staged in %s, want a new folder in %s", got, tmp)
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("staging folder %s: %v; want mode 0700", got, err)
	}
	if b, err := os.ReadFile(mustResolve(t, "/extra_files/ca.pem")); err != nil || string(b) != "our CA" {
		t.Errorf("/extra_files/ca.pem reads %q, %v; want our CA", b, err)
	}

	// A folder of this user that only it may write to is used as it is,
	// as /extra_files on a Dataflow worker.
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	newProcess()
	if got, err := Stage(context.Background(), src); err != nil || got != open {
		t.Errorf("Stage = %s, %v; want %s", got, err, open)
	}
}

// TestDownloadTimeout: a file that cannot be read (a stalled download; here
// a named pipe nobody writes to) fails Stage after downloadTimeout, naming
// the file, instead of holding Stage, and every DoFn Setup waiting for it,
// for ever.
func TestDownloadTimeout(t *testing.T) {
	reset(t, t.TempDir())
	fifo := filepath.Join(t.TempDir(), "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Release the blocked reader at the end.
	t.Cleanup(func() {
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
	old := downloadTimeout
	downloadTimeout = 100 * time.Millisecond
	t.Cleanup(func() { downloadTimeout = old })

	_, err := Stage(context.Background(), fifo)
	if err == nil || !strings.Contains(err.Error(), "extraFilesToStage: "+fifo+": not read within 100ms") {
		t.Fatalf("Stage: %v; want an error naming the file and the timeout", err)
	}
}
