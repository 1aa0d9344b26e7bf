package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// CallTimeout bounds one call: a module stuck in a loop is stopped and
// restarted instead of stalling the pipeline.
const CallTimeout = 30 * time.Second

// Instance is a running module. Its methods serialise calls: a
// WebAssembly instance runs one call at a time.
type Instance struct {
	m      *Module
	params string

	mu     sync.Mutex
	mod    api.Module
	output *tail
}

func (i *Instance) start(ctx context.Context) error {
	i.output = &tail{}
	mod, err := i.m.rt.InstantiateModule(ctx, i.m.cm, i.m.config(i.output))
	if err != nil {
		return fmt.Errorf("plugin %s: starting: %w%s", i.m.name, err, i.output.suffix())
	}
	i.mod = mod
	if mod.ExportedFunction(initFn) == nil {
		return nil
	}
	if _, err := i.call(ctx, initFn, []byte(i.params)); err != nil {
		mod.Close(ctx)
		return fmt.Errorf("plugin %s: init with the custom parameters: %w", i.m.name, err)
	}
	return nil
}

// Call calls fn with input and returns its answer. A call that traps or
// times out leaves the instance closed; the next call starts it again.
func (i *Instance) Call(ctx context.Context, fn string, input []byte) ([]byte, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.mod == nil || i.mod.IsClosed() {
		if err := i.start(ctx); err != nil {
			return nil, err
		}
	}
	out, err := i.call(ctx, fn, input)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %s: %w", i.m.name, fn, err)
	}
	return out, nil
}

// CallJSON calls fn with in encoded as JSON and decodes the answer into out.
func (i *Instance) CallJSON(ctx context.Context, fn string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("plugin %s: %s: encoding the request: %w", i.m.name, fn, err)
	}
	ans, err := i.Call(ctx, fn, b)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(ans, out); err != nil {
		return fmt.Errorf("plugin %s: %s answered %.200q, which is not the expected JSON: %w", i.m.name, fn, ans, err)
	}
	return nil
}

// ErrModule marks a failure that the module reported itself (status 1).
var ErrModule = errors.New("the module reported an error")

func (i *Instance) call(ctx context.Context, fn string, input []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	f := i.mod.ExportedFunction(fn)
	if f == nil {
		return nil, fmt.Errorf("the module exports no function %q", fn)
	}
	res, err := i.mod.ExportedFunction(allocFn).Call(ctx, uint64(len(input)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w%s", allocFn, err, i.output.suffix())
	}
	ptr := uint32(res[0])
	if !i.mod.Memory().Write(ptr, input) {
		return nil, fmt.Errorf("%s returned %d, outside the module's memory", allocFn, ptr)
	}
	res, err = f.Call(ctx, uint64(ptr), uint64(len(input)))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no answer within %s: %w", CallTimeout, ctx.Err())
		}
		return nil, fmt.Errorf("trapped: %w%s", err, i.output.suffix())
	}
	outPtr, outLen := uint32(res[0]>>32), uint32(res[0])
	view, ok := i.mod.Memory().Read(outPtr, outLen)
	if !ok || outLen == 0 {
		return nil, fmt.Errorf("returned an answer (%d bytes at %d) outside its memory or without a status byte", outLen, outPtr)
	}
	// Copy before freeing: view aliases the module's memory.
	out := append([]byte(nil), view...)
	if _, err := i.mod.ExportedFunction(freeFn).Call(ctx, uint64(outPtr)); err != nil {
		return nil, fmt.Errorf("%s: %w", freeFn, err)
	}
	if out[0] != 0 {
		return nil, fmt.Errorf("%w: %s", ErrModule, out[1:])
	}
	return out[1:], nil
}

// Close stops the instance.
func (i *Instance) Close(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.mod == nil {
		return nil
	}
	return i.mod.Close(ctx)
}

// tail keeps the last bytes a module printed, to explain a trap or panic.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 2048

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(p), nil
}

func (t *tail) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) == 0 {
		return ""
	}
	return fmt.Sprintf(" (module output: %q)", t.buf)
}
