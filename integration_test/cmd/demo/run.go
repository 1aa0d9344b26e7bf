package main

import "context"

// pipelineRun is the result of the pipeline runner, for any number of
// readers: watch takes it when the pipeline ends, and stopPipeline, after
// an interruption, waits for it too (a channel read once would leave the
// second reader waiting for a value already taken).
type pipelineRun struct {
	done chan struct{}
	err  error
}

// startRun runs execute in the background.
func startRun(execute func() error) *pipelineRun {
	r := &pipelineRun{done: make(chan struct{})}
	go func() {
		r.err = execute()
		close(r.done)
	}()
	return r
}

// Done is closed once the runner has returned.
func (r *pipelineRun) Done() <-chan struct{} { return r.done }

// Err waits for the runner and returns its error.
func (r *pipelineRun) Err() error {
	<-r.done
	return r.err
}

// stopper stops the runner's jobs (*localenv.Prism).
type stopper interface {
	Stop(ctx context.Context) error
}
