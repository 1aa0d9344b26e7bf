package transformation

import (
	"fmt"
	"sort"
	"sync"
)

// Factory makes a compiled-in transformation from
// transformationCustomParameters.
type Factory func(params string) (Transformer, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a Go transformation available as transformationClassName
// name. Call it from init(), so that the launcher and every worker (the
// same binary) know it. A second registration of a name panics.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("transformation: %q registered twice", name))
	}
	registry[name] = f
}

// Registered lists the registered names.
func Registered() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func newRegistered(name, params string) (Transformer, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("transformationClassName %q: no such transformation in this build (registered: %v); to load a WebAssembly module, also set transformationJarPath", name, Registered())
	}
	t, err := f(params)
	if err != nil {
		return nil, fmt.Errorf("transformationClassName %q: init with transformationCustomParameters: %w", name, err)
	}
	return t, nil
}
