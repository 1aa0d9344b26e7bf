package main

import (
	"context"
	"errors"
	"testing"
)

type fakeStopper struct{ stopped bool }

func (f *fakeStopper) Stop(context.Context) error {
	f.stopped = true
	return nil
}

// TestStopAfterWatchTookTheResult: interrupted, the runner returns at
// once and watch takes its result; stopPipeline must then see the runner
// as returned, not wait stopTimeout for a result already taken and report
// that "the pipeline runner did not return".
func TestStopAfterWatchTookTheResult(t *testing.T) {
	canceled := errors.New("context canceled")
	run := startRun(func() error { return canceled })
	if err := run.Err(); err != canceled { // what watch does
		t.Fatalf("first reader got %v", err)
	}
	st := &fakeStopper{}
	if err := stopPipeline(st, run); err != nil {
		t.Errorf("stopPipeline after the runner returned: %v", err)
	}
	if !st.stopped {
		t.Error("the runner's jobs were not stopped")
	}
	if err := run.Err(); err != canceled {
		t.Errorf("second reader got %v", err)
	}
}
