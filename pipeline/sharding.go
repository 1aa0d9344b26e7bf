package pipeline

import (
	"context"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/extrafiles"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// sharding is what the launch decides about the shards.
type sharding struct {
	// target is the kind of the shards' databases (sourceType).
	target target.Target
	shards []target.Shard
	// single is the shard that receives everything, "" in multi-shard mode.
	single   string
	poolSize int
	// workers is how many workers share maxShardConnections.
	workers WorkerCount
	custom  plugin.Spec
}

// prepareShards reads the shard file (secrets included), checks every
// shard, and checks the sharding parameters, reporting the shards'
// problems together.
func prepareShards(ctx context.Context, cfg *params.Config, env Env) (sharding, error) {
	// The launch connects to the shards too: their CA certificates must
	// be here before it does.
	if _, err := extrafiles.Stage(ctx, cfg.ExtraFilesToStage); err != nil {
		return sharding{}, err
	}
	t, err := transforms.Target(cfg.SourceType)
	if err != nil {
		return sharding{}, err
	}
	shards, err := target.LoadShards(ctx, cfg.SourceShardsFilePath, t)
	if err != nil {
		return sharding{}, err
	}
	for i := range shards {
		shards[i].DisabledAlgorithms = cfg.DisabledAlgorithms
	}
	sh := sharding{target: t, shards: shards, custom: plugin.Spec{
		ModulePath: cfg.ShardingCustomJarPath, Name: cfg.ShardingCustomClassName, Params: cfg.ShardingCustomParameters,
	}}
	if sh.poolSize, sh.workers, err = poolSize(cfg, env); err != nil {
		return sharding{}, err
	}
	if len(shards) == 1 && !cfg.IsShardedMigration {
		sh.single = shards[0].ID()
		if sh.custom.IsSet() {
			// The Java template ignores the custom fetcher here; saying so
			// beats routing differently from what the user configured.
			return sharding{}, fmt.Errorf("shardingCustomClassName %q: the shard file has one shard and isShardedMigration is false, so every change goes to that shard; set isShardedMigration=true to route with the custom shard fetcher, or drop the shardingCustom parameters",
				cfg.ShardingCustomClassName)
		}
	} else {
		for _, s := range shards {
			if s.LogicalShardID == "" {
				return sharding{}, fmt.Errorf("sourceShardsFilePath %s: isShardedMigration=true needs a logicalShardId for the shard, as the shard-id column or custom fetcher will name it", cfg.SourceShardsFilePath)
			}
		}
	}
	if err := target.CheckShards(ctx, t, shards); err != nil {
		return sharding{}, fmt.Errorf("sourceShardsFilePath %s: %w", cfg.SourceShardsFilePath, err)
	}
	if sh.single == "" && sh.custom.IsSet() {
		_, closeFetcher, err := transforms.NewShardFetcher(ctx, sh.custom)
		if err != nil {
			return sharding{}, err
		}
		closeFetcher()
	}
	return sh, nil
}

// ids lists the logical shard ids.
func (sh sharding) ids() []string {
	out := make([]string, len(sh.shards))
	for i, s := range sh.shards {
		out[i] = s.ID()
	}
	return out
}

// poolSize is the most connections one worker opens to each shard:
// maxShardConnections shared by the workers Workers counts.
func poolSize(cfg *params.Config, env Env) (int, WorkerCount, error) {
	w, err := Workers(env, cfg.RunMode)
	if err != nil {
		return 0, WorkerCount{}, err
	}
	n, err := target.PoolSize(cfg.MaxShardConnections, w.N)
	if err != nil {
		if w.Assumed != "" {
			return 0, WorkerCount{}, fmt.Errorf("%w (%s)", err, w.Assumed)
		}
		return 0, WorkerCount{}, err
	}
	return n, w, nil
}
