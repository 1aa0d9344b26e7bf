package plugin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// MemoryLimitPages caps a module instance's memory (64 KiB pages: 256 MiB).
const MemoryLimitPages = 4096

// Names the host uses, see the package documentation.
const (
	allocFn = "revrepl_alloc"
	freeFn  = "revrepl_free"
	initFn  = "revrepl_init"
)

// Module is a compiled module; it is safe for concurrent use, and makes
// Instances, which are not.
type Module struct {
	name string
	*compiled
}

// compiled is a module's code, shared by every Load of the same bytes.
type compiled struct {
	rt wazero.Runtime
	cm wazero.CompiledModule
}

var (
	cacheMu sync.Mutex
	cache   = map[[32]byte]*compiled{}
)

// Load compiles a module, reusing the code compiled earlier in this
// process from the same bytes: every DoFn instance of a worker loads the
// same module, and compiling a large one takes a while. name (the module's
// path) only appears in errors.
func Load(ctx context.Context, name string, wasm []byte) (*Module, error) {
	key := sha256.Sum256(wasm)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if c, ok := cache[key]; ok {
		return &Module{name: name, compiled: c}, nil
	}
	m, err := compile(ctx, name, wasm)
	if err != nil {
		return nil, err
	}
	cache[key] = m.compiled
	return m, nil
}

func compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	// The runtime outlives ctx (it is cached), so it must not be bound to
	// a launch or Setup context.
	rt := wazero.NewRuntimeWithConfig(context.Background(), wazero.NewRuntimeConfig().
		WithCloseOnContextDone(true).WithMemoryLimitPages(MemoryLimitPages))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin %s: %w", name, err)
	}
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin %s is not a valid WebAssembly module: %w", name, err)
	}
	m := &Module{name: name, compiled: &compiled{rt: rt, cm: cm}}
	if err := m.checkABI(); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	return m, nil
}

// checkABI fails early, with a hint, on modules that cannot work.
func (m *Module) checkABI() error {
	exports := m.cm.ExportedFunctions()
	if _, ok := exports["_initialize"]; !ok {
		if _, cmd := exports["_start"]; cmd {
			return fmt.Errorf("plugin %s is a WASI command, not a reactor: build it with -buildmode=c-shared", m.name)
		}
	}
	for _, fn := range []string{allocFn, freeFn} {
		if _, ok := exports[fn]; !ok {
			return fmt.Errorf("plugin %s does not export %s (see the plugin ABI; Go modules get it from the guest package)", m.name, fn)
		}
	}
	if _, ok := m.cm.ExportedMemories()["memory"]; !ok {
		return fmt.Errorf("plugin %s does not export its memory", m.name)
	}
	return nil
}

// HasFunction reports whether the module exports fn with the call
// signature fn(i32, i32) i64.
func (m *Module) HasFunction(fn string) bool {
	d, ok := m.cm.ExportedFunctions()[fn]
	if !ok {
		return false
	}
	p, r := d.ParamTypes(), d.ResultTypes()
	return len(p) == 2 && p[0] == api.ValueTypeI32 && p[1] == api.ValueTypeI32 && len(r) == 1 && r[0] == api.ValueTypeI64
}

// Instantiate starts an instance and hands it params through
// revrepl_init when the module exports it.
func (m *Module) Instantiate(ctx context.Context, params string) (*Instance, error) {
	i := &Instance{m: m, params: params}
	if err := i.start(ctx); err != nil {
		return nil, err
	}
	return i, nil
}

func (m *Module) config(stderr *tail) wazero.ModuleConfig {
	// No FS, args, env or sockets: the module sees only its input. Clocks
	// and randomness are harmless and the Go runtime wants them.
	return wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize").
		WithStdout(stderr).WithStderr(stderr).
		WithSysWalltime().WithSysNanotime().WithRandSource(rand.Reader)
}
