package plugin

import (
	"fmt"
	"sort"
	"sync"
)

// Registry holds the Go implementations compiled into the binary, by the
// name a user gives in a *ClassName parameter: the alternative to a
// WebAssembly module for users who build their own image.
type Registry[T any] struct {
	kind string
	mu   sync.RWMutex
	m    map[string]func(params string) (T, error)
}

// NewRegistry makes an empty registry; kind names it in panics.
func NewRegistry[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, m: map[string]func(string) (T, error){}}
}

// Register adds a factory. Call it from init(), so that the launcher and
// every worker (the same binary) know it. A second registration of a name
// panics.
func (r *Registry[T]) Register(name string, factory func(params string) (T, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[name]; dup {
		panic(fmt.Sprintf("%s %q registered twice", r.kind, name))
	}
	r.m[name] = factory
}

// Lookup returns the factory registered as name.
func (r *Registry[T]) Lookup(name string) (func(params string) (T, error), bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.m[name]
	return f, ok
}

// Names lists the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
