package integration_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/secrets/secrettest"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestLaunchChecks runs Prepare with shard files and sharding parameters
// that must fail before anything else happens, and checks the messages.
// The checks run before Spanner is contacted, so no emulator is needed.
// A read_only server is not covered: setting the global read_only of the
// shared test server would break the tests running beside this one.
func TestLaunchChecks(t *testing.T) {
	db, dsn := testenv.MySQL(t)
	testenv.ShardFile(t, db, dsn) // the test user, with all rights on db
	name := mustDBName(t, dsn)
	// A user that may only read, and one whose rights come from a role.
	stmts := []string{
		"CREATE USER IF NOT EXISTS 'revrepl_ro'@'%' IDENTIFIED BY 'ro-pass'",
		fmt.Sprintf("GRANT SELECT ON `%s`.* TO 'revrepl_ro'@'%%'", name),
		"CREATE ROLE IF NOT EXISTS revrepl_writer",
		fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO revrepl_writer", name),
		"CREATE USER IF NOT EXISTS 'revrepl_role'@'%' IDENTIFIED BY 'role-pass'",
		"GRANT revrepl_writer TO 'revrepl_role'@'%'",
		"SET DEFAULT ROLE revrepl_writer FOR 'revrepl_role'@'%'",
	}
	execAll(t, db, stmts)
	t.Cleanup(func() {
		for _, st := range []string{"DROP USER IF EXISTS 'revrepl_ro'@'%'", "DROP USER IF EXISTS 'revrepl_role'@'%'", "DROP ROLE IF EXISTS revrepl_writer"} {
			db.Exec(st)
		}
	})
	secrettest.Start(t, map[string]string{})
	good := func(id string) shardSpec {
		return shardSpec{ID: id, DSN: dsn, User: testenv.ShardUser, Password: testenv.ShardPassword}
	}
	module := exampleModule(t)

	tests := []struct {
		name    string
		shards  []shardSpec
		values  params.Values
		workers int64
		want    []string
		notWant []string
	}{
		{
			name: "every bad shard at once",
			shards: []shardSpec{
				good("ok"),
				{ID: "badpw", DSN: dsn, User: testenv.ShardUser, Password: "wrong"},
				{ID: "nodb", DSN: dsn, User: testenv.ShardUser, Password: testenv.ShardPassword, DBName: "revrepl_no_such_db"},
				{ID: "ro", DSN: dsn, User: "revrepl_ro", Password: "ro-pass"},
				{ID: "down", DSN: dsn, User: testenv.ShardUser, Password: "x", Port: "1"},
				{ID: "role", DSN: dsn, User: "revrepl_role", Password: "role-pass"},
			},
			want: []string{
				`shard "badpw" (revrepl@127.0.0.1:3306/` + name + `): login failed`,
				`shard "nodb" (revrepl@127.0.0.1:3306/revrepl_no_such_db): database "revrepl_no_such_db" does not exist`,
				`shard "ro" (revrepl_ro@127.0.0.1:3306/` + name + `): the user lacks INSERT, UPDATE, DELETE on database "` + name + `"`,
				`shard "down" (revrepl@127.0.0.1:1/` + name + `): cannot reach the server`,
			},
			notWant: []string{`shard "ok"`, `shard "role"`},
		},
		{
			name:   "secret that does not exist",
			shards: []shardSpec{{ID: "s1", DSN: dsn, User: testenv.ShardUser, Secret: "projects/p/secrets/gone"}, good("s2")},
			want:   []string{`shard "s1": password: reading secret projects/p/secrets/gone/versions/latest: no such secret or version`},
		},
		{
			name:    "too few connections per worker",
			shards:  []shardSpec{good("")},
			values:  params.Values{"maxShardConnections": "3"},
			workers: 4,
			want:    []string{"maxShardConnections 3 divided by max_num_workers 4 leaves no connection per worker"},
		},
		{
			name:   "custom sharding with a single shard",
			shards: []shardSpec{good("only")},
			values: params.Values{"shardingCustomClassName": "even_odd_for_tests", "shardingCustomParameters": "SingerId"},
			want:   []string{"set isShardedMigration=true to route with the custom shard fetcher"},
		},
		{
			name:   "sharded migration without a shard id",
			shards: []shardSpec{good("")},
			values: params.Values{"isShardedMigration": "true"},
			want:   []string{"isShardedMigration=true needs a logicalShardId"},
		},
		{
			name:   "module without the named function",
			shards: []shardSpec{good("a"), good("b")},
			values: params.Values{"shardingCustomJarPath": module, "shardingCustomClassName": "getShardId"},
			want:   []string{`shardingCustomClassName "getShardId": the module ` + module + ` exports no such function`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := params.Values{
				"changeStreamName": "s", "instanceId": "i", "databaseId": "d", "spannerProjectId": "p",
				"metadataInstance": "i", "metadataDatabase": "m", "sourceShardsFilePath": writeShardFile(t, tt.shards...),
			}
			for k, val := range tt.values {
				v[k] = val
			}
			cfg, err := params.Parse(v, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = pipeline.Prepare(ctx, cfg, pipeline.Env{MaxWorkers: tt.workers})
			if err == nil {
				t.Fatal("Prepare succeeded")
			}
			t.Logf("launch error:\n%v", err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error should not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func mustDBName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.DBName
}
