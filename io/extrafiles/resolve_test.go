package extrafiles

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveOnlyStagedFiles: a name under /extra_files/ that this
// process did not stage is never looked up in a folder another user may
// have written to: the shared DirEnv folder (its parent of the private
// run-* folders) or a /extra_files others may write to. Only the real
// /extra_files, owned by root (or this user) and writable by no one
// else, is trusted for names this process did not stage (a Dataflow
// worker's).
func TestResolveOnlyStagedFiles(t *testing.T) {
	src := filepath.Join(t.TempDir(), "client.cnf")
	if err := os.WriteFile(src, []byte("ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	plant := func(d string) {
		t.Helper()
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "ca.pem"), []byte("attacker's CA"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	notListed := func(what string) {
		t.Helper()
		r, err := Resolve("/extra_files/ca.pem")
		if err == nil || !strings.Contains(err.Error(), "/extra_files/ca.pem is not listed in extraFilesToStage") {
			t.Errorf("%s: Resolve(/extra_files/ca.pem) = %q, %v; want it refused as not listed in extraFilesToStage", what, r, err)
		}
	}
	t.Cleanup(newProcess)

	// The shared DirEnv folder holds a ca.pem someone else put there.
	shared := filepath.Join(t.TempDir(), "shared")
	plant(shared)
	reset(t, shared)
	notListed("DirEnv set, nothing staged")
	if _, err := Stage(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	notListed("DirEnv set, another file staged")
	if r := mustResolve(t, "/extra_files/client.cnf"); filepath.Dir(filepath.Dir(r)) != shared {
		t.Errorf("the staged file resolves to %s", r)
	}

	// No DirEnv: /extra_files (defaultDir here) is used for names not
	// staged only when no one else may write to it.
	t.Setenv(DirEnv, "")
	old := defaultDir
	t.Cleanup(func() { defaultDir = old })
	defaultDir = filepath.Join(t.TempDir(), "extra_files")
	plant(defaultDir)
	if err := os.Chmod(defaultDir, 0o777); err != nil {
		t.Fatal(err)
	}
	newProcess()
	notListed("a /extra_files others may write to")
	if err := os.Chmod(defaultDir, 0o755); err != nil {
		t.Fatal(err)
	}
	newProcess()
	if r := mustResolve(t, "/extra_files/ca.pem"); r != filepath.Join(defaultDir, "ca.pem") {
		t.Errorf("the real /extra_files (private): Resolve = %s", r)
	}
}
