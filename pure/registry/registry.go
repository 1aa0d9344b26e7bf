// Package registry holds the Go implementations compiled into the binary,
// by the name a user gives in a *ClassName parameter: the alternative to a
// WebAssembly module for users who build their own image. No I/O.
package registry

import (
	"fmt"
	"sort"
	"sync"
)

// Names are the launch parameters of one kind of plugin and what it is
// called, for messages.
type Names struct {
	Class    string // "shardingCustomClassName"
	Params   string // "shardingCustomParameters"
	Jar      string // "shardingCustomJarPath"
	Noun     string // "shard fetcher": what the registry holds
	Function string // "shard": what a module's function does
}

// Registry holds the factories of one kind of plugin.
type Registry[T any] struct {
	names Names
	mu    sync.RWMutex
	m     map[string]func(params string) (T, error)
}

// New makes an empty registry for the plugin kind names.
func New[T any](names Names) *Registry[T] {
	return &Registry[T]{names: names, m: map[string]func(string) (T, error){}}
}

// Register adds a factory. Call it from init(), so that the launcher and
// every worker (the same binary) know it. A second registration of a name
// panics.
func (r *Registry[T]) Register(name string, factory func(params string) (T, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[name]; dup {
		panic(fmt.Sprintf("%s %q registered twice", r.names.Noun, name))
	}
	r.m[name] = factory
}

// New makes the implementation registered as name with its parameters.
func (r *Registry[T]) New(name, params string) (T, error) {
	var zero T
	r.mu.RLock()
	f, ok := r.m[name]
	r.mu.RUnlock()
	if !ok {
		return zero, fmt.Errorf("%s %q: no such %s in this build (registered: %v); to load a WebAssembly module, also set %s",
			r.names.Class, name, r.names.Noun, r.Names(), r.names.Jar)
	}
	t, err := f(params)
	if err != nil {
		return zero, fmt.Errorf("%s %q: init with %s: %w", r.names.Class, name, r.names.Params, err)
	}
	return t, nil
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

// Kind is the parameter names of the registry's plugin kind.
func (r *Registry[T]) Kind() Names { return r.names }
