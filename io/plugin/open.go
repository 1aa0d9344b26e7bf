package plugin

import (
	"context"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/files"
	"github.com/revrepl/spanner-to-sourcedb/pure/registry"
)

// Spec names a plugin by its three launch parameters: a function of a
// WebAssembly module (ModulePath set, Name is the exported function) or an
// implementation compiled into this binary (only Name set).
type Spec struct {
	ModulePath string // *JarPath
	Name       string // *ClassName
	Params     string // *CustomParameters
}

// IsSet reports whether a plugin is configured.
func (s Spec) IsSet() bool { return s.ModulePath != "" || s.Name != "" }

// Open makes the plugin s names: the implementation compiled into the
// binary (from reg) when no module is given, else the module read from
// ModulePath (gs:// or local), checked to export Name and instantiated with
// Params, wrapped by fromModule. close releases it. Errors name the
// parameter at fault, in the words of reg's Names.
func Open[T any](ctx context.Context, reg *registry.Registry[T], s Spec, fromModule func(inst *Instance, fn string) T) (t T, close func(), err error) {
	n := reg.Kind()
	var zero T
	if s.ModulePath == "" {
		t, err := reg.New(s.Name, s.Params)
		if err != nil {
			return zero, nil, err
		}
		return t, func() {}, nil
	}
	if s.Name == "" {
		return zero, nil, fmt.Errorf("%s %s: %s must name the module's %s function", n.Jar, s.ModulePath, n.Class, n.Function)
	}
	wasm, err := files.Read(ctx, s.ModulePath)
	if err != nil {
		return zero, nil, fmt.Errorf("%s %w", n.Jar, err) // files.Read's error starts with the path
	}
	m, err := Load(ctx, s.ModulePath, wasm)
	if err != nil {
		return zero, nil, fmt.Errorf("%s: %w", n.Jar, err)
	}
	if !m.HasFunction(s.Name) {
		return zero, nil, fmt.Errorf("%s %q: the module %s exports no such function taking (i32, i32) and returning i64", n.Class, s.Name, s.ModulePath)
	}
	inst, err := m.Instantiate(ctx, s.Params)
	if err != nil {
		return zero, nil, fmt.Errorf("%s: %w", n.Params, err)
	}
	return fromModule(inst, s.Name), func() { inst.Close(context.Background()) }, nil
}
