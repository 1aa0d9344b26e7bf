package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql"
	pgconvert "github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	pgdml "github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// benchPostgreSQLDDL is Bench in PostgreSQL; unquoted, so lower case.
const benchPostgreSQLDDL = "CREATE TABLE Bench (Id bigint PRIMARY KEY, Name varchar(100), Qty bigint, Price double precision, " +
	"Active boolean, SentAt varchar(64))"

// newPGEnv is newEnv for --target=postgresql: a database of the run's own
// on the server at --postgresql, written by the PostgreSQL target through
// its writer pool, the source schema read as the launch reads it.
func newPGEnv(ctx context.Context, emu *localenv.Emulator) (*env, error) {
	e := &env{emu: emu, id: time.Now().Format("0102150405"), nextKey: 1, pollSQL: "SELECT Id, SentAt FROM Bench WHERE Id >= $1",
		upsert: func(table string, cols, keys []string, rows [][]any) (string, []any, error) {
			st, err := pgdml.Upsert("public", table, cols, keys, rows)
			return st.SQL, st.Args, err
		}}
	e.dbName = "revrepl_bench_" + e.id
	const user, password = "revrepl_bench", "revrepl-bench"
	// CREATE on the schema: the source-shadow measurement creates its
	// shadow table as the launch does, as the pipeline's user.
	set, err := localenv.CreatePGShards(ctx, localenv.ShardSetup{Addr: *pgAddr, RootUser: "postgres", User: user, Password: password,
		Databases: []localenv.ShardDB{{ID: "", Name: e.dbName}},
		DDL:       []string{benchPostgreSQLDDL, `GRANT CREATE ON SCHEMA public TO "` + user + `"`}})
	if err != nil {
		return nil, err
	}
	e.check = set.Shards[0].DB
	var cfg struct {
		ShardConfigs []postgresql.Shard `json:"shardConfigs"`
	}
	if err := json.Unmarshal(set.ShardFile, &cfg); err != nil {
		return nil, err
	}
	shard := cfg.ShardConfigs[0]
	shard.LogicalShardID = ""
	e.shard = shard
	src, err := postgresql.Target{}.ReadSchema(ctx, shard)
	if err != nil {
		return nil, err
	}
	db, release, err := postgresql.Acquire(shard, 4)
	if err != nil {
		return nil, err
	}
	e.db = db
	e.cleanup = func() {
		release()
		if err := set.Drop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "bench: cleanup:", err)
		}
	}
	if err := e.openMeta(ctx); err != nil {
		return nil, err
	}
	e.applier = &apply.Applier{Meta: e.meta, ShadowPrefix: "shadow_", Spanner: benchSpanner,
		Mapper: mapping.Mapper{Spanner: benchSpanner, Source: src, TZ: time.UTC, Values: pgconvert.Values{}}, Target: postgresql.Target{}}
	dir, err := os.MkdirTemp("", "revrepl-bench")
	if err != nil {
		return nil, err
	}
	e.shardFile = filepath.Join(dir, "shards.json")
	return e, os.WriteFile(e.shardFile, set.ShardFile, 0o600)
}
