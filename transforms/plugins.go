package transforms

import (
	"context"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/files"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
)

// CustomSharding names a custom shard fetcher: a function of a WebAssembly
// module (ModulePath set, Name is the exported function) or a fetcher
// compiled into this binary (only Name set).
type CustomSharding struct {
	ModulePath string // shardingCustomJarPath
	Name       string // shardingCustomClassName
	Params     string // shardingCustomParameters
}

// IsSet reports whether a custom fetcher is configured.
func (c CustomSharding) IsSet() bool { return c.ModulePath != "" || c.Name != "" }

// NewShardFetcher makes the configured fetcher; the closer releases it.
// The launcher calls it too, so that a module that does not load or
// refuses its parameters fails the launch rather than every worker.
func NewShardFetcher(ctx context.Context, c CustomSharding) (routing.Fetcher, func(), error) {
	if c.ModulePath == "" {
		f, err := routing.New(c.Name, c.Params)
		return f, func() {}, err
	}
	if c.Name == "" {
		return nil, nil, fmt.Errorf("shardingCustomJarPath %s: shardingCustomClassName must name the module's shard function", c.ModulePath)
	}
	wasm, err := files.Read(ctx, c.ModulePath)
	if err != nil {
		// files.Read's error starts with the path.
		return nil, nil, fmt.Errorf("shardingCustomJarPath %w", err)
	}
	m, err := plugin.Load(ctx, c.ModulePath, wasm)
	if err != nil {
		return nil, nil, fmt.Errorf("shardingCustomJarPath: %w", err)
	}
	if !m.HasFunction(c.Name) {
		return nil, nil, fmt.Errorf("shardingCustomClassName %q: the module %s exports no such function taking (i32, i32) and returning i64", c.Name, c.ModulePath)
	}
	inst, err := m.Instantiate(ctx, c.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("shardingCustomParameters: %w", err)
	}
	return wasmFetcher{inst: inst, fn: c.Name}, func() { inst.Close(context.Background()) }, nil
}

// wasmFetcher asks a module's function, in JSON: routing.Request in,
// routing.Response out.
type wasmFetcher struct {
	inst *plugin.Instance
	fn   string
}

func (w wasmFetcher) ShardID(ctx context.Context, req routing.Request) (string, error) {
	var resp routing.Response
	if err := w.inst.CallJSON(ctx, w.fn, req, &resp); err != nil {
		return "", err
	}
	return resp.LogicalShardID, nil
}
