package transformation

import (
	"github.com/revrepl/spanner-to-sourcedb/pure/registry"
)

// Factory makes a compiled-in transformation from
// transformationCustomParameters.
type Factory func(params string) (Transformer, error)

// Transformers holds the compiled-in transformations
// (transformationClassName alone).
var Transformers = registry.New[Transformer](registry.Names{
	Class: "transformationClassName", Params: "transformationCustomParameters", Jar: "transformationJarPath",
	Noun: "transformation", Function: "transformation",
})

// Register makes a Go transformation available as transformationClassName
// name. Call it from init(); a second registration of a name panics.
func Register(name string, f Factory) { Transformers.Register(name, f) }

// Registered lists the registered names.
func Registered() []string { return Transformers.Names() }
