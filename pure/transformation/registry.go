package transformation

import (
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
)

// Factory makes a compiled-in transformation from
// transformationCustomParameters.
type Factory func(params string) (Transformer, error)

var registry = plugin.NewRegistry[Transformer]("transformation")

// Register makes a Go transformation available as transformationClassName
// name. Call it from init(); a second registration of a name panics.
func Register(name string, f Factory) { registry.Register(name, f) }

// Registered lists the registered names.
func Registered() []string { return registry.Names() }

func newRegistered(name, params string) (Transformer, error) {
	f, ok := registry.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("transformationClassName %q: no such transformation in this build (registered: %v); to load a WebAssembly module, also set transformationJarPath", name, Registered())
	}
	t, err := f(params)
	if err != nil {
		return nil, fmt.Errorf("transformationClassName %q: init with transformationCustomParameters: %w", name, err)
	}
	return t, nil
}
