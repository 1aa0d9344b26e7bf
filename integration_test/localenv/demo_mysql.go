package localenv

import "context"

// demoPassword is the password of the demo's MySQL account. The pipeline
// logs in as a user with only the rights it needs on the shard databases,
// as in production; the account is the run's own (named like its
// databases' prefix) so that removing it cannot affect another run.
const demoPassword = "revrepl-demo"

// DemoShardSet is the demo's MySQL side: one database per shard.
type DemoShardSet = ShardSet

// CreateDemoShards creates one database per demo shard, named prefix plus
// the shard id, with the demo's MySQL schema, and the account the pipeline
// uses (SELECT, INSERT, UPDATE, DELETE on those databases).
func CreateDemoShards(ctx context.Context, addr, rootUser, prefix string) (*DemoShardSet, error) {
	var dbs []ShardDB
	for _, id := range DemoShards {
		dbs = append(dbs, ShardDB{ID: id, Name: prefix + "_" + id})
	}
	return CreateShards(ctx, ShardSetup{Addr: addr, RootUser: rootUser, User: prefix, Password: demoPassword, Databases: dbs, DDL: DemoMySQLDDL})
}
