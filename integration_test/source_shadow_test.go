package integration_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestReplicatesWithShadowInSource is the end-to-end replication with
// shadowTableLocation=source, for a MariaDB and a PostgreSQL shard: the
// launch creates the shadow table in the shard, the rows end up as in
// Spanner, the shard's shadow table holds a version for every key written,
// and the metadata database holds no shadow table (the job wrote nothing
// to Spanner but the change stream's partition metadata).
func TestReplicatesWithShadowInSource(t *testing.T) {
	for _, kind := range []string{"mysql", "postgresql"} {
		t.Run(kind, func(t *testing.T) {
			emu := testenv.Spanner(t)
			var shardFile string
			var db *sql.DB
			shadowQuery := "SELECT COUNT(*), COUNT(processed_commit_ts) FROM shadow_Singers"
			compare := localenv.CompareSingers
			if kind == "mysql" {
				admin, dsn := testenv.MySQL(t)
				if _, err := admin.Exec(localenv.SampleMySQLDDL); err != nil {
					t.Fatal(err)
				}
				shardFile, db = testenv.ShardFile(t, admin, dsn), admin
			} else {
				d := testenv.PostgreSQL(t)
				if _, err := d.DB.Exec(localenv.SamplePostgreSQLDDL); err != nil {
					t.Fatal(err)
				}
				shardFile, db = testenv.PGShardFile(t, d), d.DB
				shadowQuery = `SELECT COUNT(*), COUNT(processed_commit_ts) FROM "shadow_Singers"`
				compare = localenv.CompareSingersPostgreSQL
			}
			suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
			mainDB := testenv.CreateDatabase(t, emu, "main"+suffix, false, localenv.SampleSpannerDDL)
			testenv.CreateDatabase(t, emu, "meta"+suffix, false, nil)
			ctx := context.Background()
			client, err := spanner.NewClient(ctx, mainDB)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()

			start := time.Now().UTC()
			end := start.Add(20 * time.Second)
			cfg, err := params.Parse(params.Values{
				"sourceType": kind, "shadowTableLocation": "source",
				"changeStreamName": localenv.SampleStream, "instanceId": emu.Instance, "databaseId": "main" + suffix,
				"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": "meta" + suffix,
				"sourceShardsFilePath": shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
				"endTimestamp": end.Format(time.RFC3339Nano), "deadLetterQueueDirectory": t.TempDir(),
			}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"single_shard/shadow_Singers"}; !reflect.DeepEqual(plan.ShadowTablesCreated, want) {
				t.Fatalf("shadow tables created = %v, want %v", plan.ShadowTablesCreated, want)
			}
			writes := make(chan error, 1)
			go func() {
				time.Sleep(2 * time.Second)
				writes <- localenv.WriteSampleWorkload(ctx, client, 10, 100*time.Millisecond)
			}()
			p, s := beam.NewPipelineWithRoot()
			pipeline.Build(s, plan)
			if err := ptest.Run(p); err != nil {
				t.Fatalf("pipeline: %v", err)
			}
			if err := <-writes; err != nil {
				t.Fatalf("workload: %v", err)
			}
			mismatches, rows, err := compare(ctx, client, db)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mismatches {
				t.Error(m)
			}
			if rows != 6 {
				t.Errorf("the workload should leave 6 rows in Spanner, found %d", rows)
			}
			var all, versioned int
			if err := db.QueryRow(shadowQuery).Scan(&all, &versioned); err != nil {
				t.Fatal(err)
			}
			if all != 10 || versioned != 10 {
				t.Errorf("the shard's shadow table has %d rows, %d with a version; want 10 and 10", all, versioned)
			}
			meta, err := spanner.NewClient(ctx, emu.DatabasePath("meta"+suffix))
			if err != nil {
				t.Fatal(err)
			}
			defer meta.Close()
			var shadows int64
			err = meta.Single().Query(ctx, spanner.Statement{SQL: "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '' AND STARTS_WITH(table_name, 'shadow_')"}).
				Do(func(r *spanner.Row) error { return r.Column(0, &shadows) })
			if err != nil || shadows != 0 {
				t.Errorf("the metadata database has %d shadow tables (err %v), want none", shadows, err)
			}

			// A relaunch reuses the shard's shadow table, which is not
			// taken for a replicated table of the source schema.
			cfg.StartTimestamp, cfg.StartTimestampGiven = time.Now().UTC(), false
			again, err := pipeline.Check(ctx, cfg, pipeline.Env{})
			if err != nil {
				t.Fatalf("relaunch: %v", err)
			}
			if len(again.ShadowTablesCreated) != 0 {
				t.Errorf("relaunch created %v", again.ShadowTablesCreated)
			}
			if _, ok := again.Write.Source.Tables["shadow_Singers"]; ok {
				t.Error("the shard's shadow table is in the source schema")
			}
		})
	}
}

// TestLaunchRefusesShadowInSourceWithoutCreate: with
// shadowTableLocation=source, a shard user who may write rows but not
// create tables fails the launch with a message that says so and names
// the grant, for MariaDB and PostgreSQL.
func TestLaunchRefusesShadowInSourceWithoutCreate(t *testing.T) {
	for _, kind := range []string{"mysql", "postgresql"} {
		t.Run(kind, func(t *testing.T) {
			emu := testenv.Spanner(t)
			var shardFile, grantHint string
			if kind == "mysql" {
				admin, dsn := testenv.MySQL(t)
				if _, err := admin.Exec(localenv.SampleMySQLDDL); err != nil {
					t.Fatal(err)
				}
				shardFile = testenv.ShardFile(t, admin, dsn)
				var dbName string
				if err := admin.QueryRow("SELECT DATABASE()").Scan(&dbName); err != nil {
					t.Fatal(err)
				}
				user := "nocreate" + fmt.Sprint(time.Now().UnixNano()%1e6)
				for _, q := range []string{
					fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw-nocreate'", user),
					fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'%%'", dbName, user),
				} {
					if _, err := admin.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				t.Cleanup(func() { _, _ = admin.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", user)) })
				shardFile = rewriteShardUser(t, shardFile, user, "pw-nocreate")
				grantHint = "GRANT CREATE ON"
			} else {
				d := testenv.PostgreSQL(t)
				if _, err := d.DB.Exec(localenv.SamplePostgreSQLDDL); err != nil {
					t.Fatal(err)
				}
				role := "nocreate"
				testenv.PGRole(t, d, role, "pw-nocreate")
				for _, q := range []string{
					`GRANT USAGE ON SCHEMA public TO nocreate`,
					`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO nocreate`,
					`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
				} {
					if _, err := d.DB.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				s := d.Shard("")
				s.User, s.Password = role, "pw-nocreate"
				shardFile = oneShardFile(t, s)
				grantHint = "GRANT CREATE ON SCHEMA"
			}
			suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
			testenv.CreateDatabase(t, emu, "main"+suffix, false, localenv.SampleSpannerDDL)
			testenv.CreateDatabase(t, emu, "meta"+suffix, false, nil)
			cfg, err := params.Parse(params.Values{
				"sourceType": kind, "shadowTableLocation": "source",
				"changeStreamName": localenv.SampleStream, "instanceId": emu.Instance, "databaseId": "main" + suffix,
				"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": "meta" + suffix,
				"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": t.TempDir(),
			}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			_, err = pipeline.Check(context.Background(), cfg, pipeline.Env{})
			if err == nil {
				t.Fatal("the launch passed although the user may not create the shadow table")
			}
			for _, want := range []string{"shadowTableLocation=source", "may not create shadow table shadow_Singers", grantHint} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("launch error %q does not say %q", err, want)
				}
			}
		})
	}
}

// rewriteShardUser writes a copy of a one-shard MySQL file with another
// login.
func rewriteShardUser(t *testing.T, path, user, password string) string {
	t.Helper()
	shards, err := target.ReadShardFile(context.Background(), path, mysql.Target{})
	if err != nil {
		t.Fatal(err)
	}
	s := shards[0]
	s.User, s.Password = user, password
	return oneShardFile(t, s)
}

// oneShardFile writes a shard file holding s.
func oneShardFile(t *testing.T, s target.Shard) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"shardConfigs": []target.Shard{s}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shards.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
