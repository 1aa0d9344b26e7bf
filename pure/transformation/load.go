package transformation

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/files"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
)

// Config names the transformation: the three launch parameters.
type Config struct {
	ModulePath string // transformationJarPath
	Name       string // transformationClassName
	Params     string // transformationCustomParameters
}

// IsSet reports whether a transformation is configured.
func (c Config) IsSet() bool { return c.ModulePath != "" || c.Name != "" }

// New starts the configured transformation; close releases it. The
// launcher calls it too, so that a module that does not load, lacks the
// function or refuses its parameters fails the launch, not every worker.
// The result records apply_custom_transformation_impl_latency_ms.
func New(ctx context.Context, c Config) (t Transformer, close func(), err error) {
	if c.ModulePath == "" {
		t, err := newRegistered(c.Name, c.Params)
		if err != nil {
			return nil, nil, err
		}
		return timed{t}, func() {}, nil
	}
	if c.Name == "" {
		return nil, nil, fmt.Errorf("transformationJarPath %s: transformationClassName must name the module's transformation function", c.ModulePath)
	}
	wasm, err := files.Read(ctx, c.ModulePath)
	if err != nil {
		return nil, nil, fmt.Errorf("transformationJarPath: %w", err)
	}
	m, err := plugin.Load(ctx, c.ModulePath, wasm)
	if err != nil {
		return nil, nil, fmt.Errorf("transformationJarPath: %w", err)
	}
	if !m.HasFunction(c.Name) {
		return nil, nil, fmt.Errorf("transformationClassName %q: module %s exports no such function taking (i32, i32) and returning i64", c.Name, c.ModulePath)
	}
	inst, err := m.Instantiate(ctx, c.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("transformationCustomParameters: %w", err)
	}
	return timed{wasmTransformer{inst: inst, fn: c.Name}}, func() { inst.Close(context.Background()) }, nil
}

// wasmTransformer calls a module's function: Request in, Response out.
type wasmTransformer struct {
	inst *plugin.Instance
	fn   string
}

func (w wasmTransformer) ToSourceRow(ctx context.Context, req Request) (Response, error) {
	var resp Response
	err := w.inst.CallJSON(ctx, w.fn, req, &resp)
	return resp, err
}

var latency = beam.NewDistribution("transforms", "apply_custom_transformation_impl_latency_ms")

// timed records each call's latency.
type timed struct{ Transformer }

func (t timed) ToSourceRow(ctx context.Context, req Request) (Response, error) {
	start := time.Now()
	resp, err := t.Transformer.ToSourceRow(ctx, req)
	latency.Update(ctx, time.Since(start).Milliseconds())
	return resp, err
}
