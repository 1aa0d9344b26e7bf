package extrafiles

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestTwoProcessesSameBaseName: two runs on one machine sharing a staging
// folder (DirEnv) whose lists share a base name (gs://projA/ca.pem,
// gs://projB/ca.pem) must not overwrite each other's file: every later
// DSN() of the first run (readCA at each Acquire) must still read its own
// CA.
func TestTwoProcessesSameBaseName(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "extra_files") // what both processes use
	a := filepath.Join(t.TempDir(), "a", "ca.pem")
	b := filepath.Join(t.TempDir(), "b", "ca.pem")
	for p, content := range map[string]string{a: "CA of project A", b: "CA of project B"} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Process A.
	reset(t, shared)
	if _, err := Stage(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	pathA := mustResolve(t, "/extra_files/ca.pem")
	// Process B (fresh package state), same machine.
	newProcess()
	if _, err := Stage(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	// Process A reads its CA again (a new DoFn Setup -> DSN -> readCA).
	got, _ := os.ReadFile(pathA)
	if string(got) != "CA of project A" {
		t.Errorf("process A's /extra_files/ca.pem now holds %q", got)
	}
}
