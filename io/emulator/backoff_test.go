package emulator

import (
	"sync"
	"testing"

	"cloud.google.com/go/spanner"
)

// TestUseCapsTheAbortBackoffOnlyWithTheEmulator: without
// SPANNER_EMULATOR_HOST nothing changes; with it the cap applies.
func TestUseCapsTheAbortBackoffOnlyWithTheEmulator(t *testing.T) {
	before := spanner.DefaultRetryBackoff
	t.Cleanup(func() { spanner.DefaultRetryBackoff = before })
	t.Setenv("SPANNER_EMULATOR_HOST", "")
	once = sync.Once{}
	Use()
	if spanner.DefaultRetryBackoff != before {
		t.Fatalf("back-off changed without the emulator: %+v", spanner.DefaultRetryBackoff)
	}
	t.Setenv("SPANNER_EMULATOR_HOST", "127.0.0.1:1")
	Use()
	if got := spanner.DefaultRetryBackoff.Max; got != AbortBackoffMax {
		t.Fatalf("back-off max = %v with the emulator, want %v", got, AbortBackoffMax)
	}
	if spanner.DefaultRetryBackoff.Initial != before.Initial || spanner.DefaultRetryBackoff.Multiplier != before.Multiplier {
		t.Fatalf("only Max may change: %+v", spanner.DefaultRetryBackoff)
	}
}

// TestReadWriteTurnOnlyWithTheEmulator: the writer's transactions take
// turns on the emulator only, and share one lock within the process.
func TestReadWriteTurnOnlyWithTheEmulator(t *testing.T) {
	t.Setenv("SPANNER_EMULATOR_HOST", "")
	if l := ReadWriteTurn(); l != nil {
		t.Fatalf("a turn without the emulator: %v", l)
	}
	t.Setenv("SPANNER_EMULATOR_HOST", "127.0.0.1:1")
	a, b := ReadWriteTurn(), ReadWriteTurn()
	if a == nil || a != b {
		t.Fatalf("turns %p and %p: want one lock for the process", a, b)
	}
}
