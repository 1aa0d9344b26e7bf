package transforms

import (
	"context"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// NewShardFetcher makes the configured custom shard fetcher
// (shardingCustom*); the closer releases it. The launcher calls it too, so
// that a module that does not load or refuses its parameters fails the
// launch rather than every worker.
func NewShardFetcher(ctx context.Context, s plugin.Spec) (routing.Fetcher, func(), error) {
	return plugin.Open(ctx, routing.Fetchers, s, func(inst *plugin.Instance, fn string) routing.Fetcher {
		return wasmFetcher{inst: inst, fn: fn}
	})
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

// NewTransformer starts the configured custom transformation
// (transformation*); close releases it. The launcher calls it too, so that
// a module that does not load, lacks the function or refuses its parameters
// fails the launch, not every worker. The result records
// apply_custom_transformation_impl_latency_ms.
func NewTransformer(ctx context.Context, s plugin.Spec) (t transformation.Transformer, close func(), err error) {
	t, close, err = plugin.Open(ctx, transformation.Transformers, s, func(inst *plugin.Instance, fn string) transformation.Transformer {
		return wasmTransformer{inst: inst, fn: fn}
	})
	if err != nil {
		return nil, nil, err
	}
	return timed{t}, close, nil
}

// wasmTransformer calls a module's function: transformation.Request in,
// transformation.Response out.
type wasmTransformer struct {
	inst *plugin.Instance
	fn   string
}

func (w wasmTransformer) ToSourceRow(ctx context.Context, req transformation.Request) (transformation.Response, error) {
	var resp transformation.Response
	err := w.inst.CallJSON(ctx, w.fn, req, &resp)
	return resp, err
}

var transformationLatency = beam.NewDistribution("transforms", "apply_custom_transformation_impl_latency_ms")

// timed records each call's latency.
type timed struct{ transformation.Transformer }

func (t timed) ToSourceRow(ctx context.Context, req transformation.Request) (transformation.Response, error) {
	start := time.Now()
	resp, err := t.Transformer.ToSourceRow(ctx, req)
	transformationLatency.Update(ctx, time.Since(start).Milliseconds())
	return resp, err
}
