package integration_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// The PostgreSQL verify test's tables: more column families than the MySQL
// one (JSON, arrays, DATE, BOOL), in a namespace of their own.
var verifyPGSpanner = []string{
	`CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(50), Price NUMERIC, Seen TIMESTAMP, Data BYTES(20), Score FLOAT64,
		Doc JSON, Tags ARRAY<STRING(MAX)>, Born DATE, Active BOOL, Ratio FLOAT32) PRIMARY KEY (Id)`,
	`CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')`,
}

const verifyPGNamespace = "app"

var verifyPG = []string{
	`CREATE SCHEMA ` + verifyPGNamespace,
	`CREATE TABLE app."Items" ("Id" bigint PRIMARY KEY, "Name" varchar(50), "Price" numeric(12,3), "Seen" timestamptz, "Data" bytea,
		"Score" double precision, "Doc" jsonb, "Tags" text[], "Born" date, "Active" boolean, "Ratio" real)`,
	// A decoy outside the shard's namespace: reading it would report
	// every row missing.
	`CREATE TABLE public."Items" ("Id" bigint PRIMARY KEY)`,
}

// newVerifyPGEnv is newVerifyEnv with two PostgreSQL shards (sourceType=
// postgresql, namespace app): even ids in shardA, odd in shardB.
func newVerifyPGEnv(t *testing.T, prefix string) *verifyEnv {
	emu := testenv.Spanner(t)
	var shards []target.Shard
	var dbs []*sql.DB
	for _, id := range []string{"shardA", "shardB"} {
		d := testenv.PostgreSQL(t)
		execAll(t, d.DB, verifyPG)
		testenv.PGRole(t, d, testenv.PGShardUser, testenv.PGShardPassword)
		execAll(t, d.DB, []string{
			fmt.Sprintf(`GRANT ALL ON SCHEMA app TO "%s"`, testenv.PGShardUser),
			fmt.Sprintf(`GRANT ALL ON ALL TABLES IN SCHEMA app TO "%s"`, testenv.PGShardUser),
		})
		s := d.Shard(id)
		s.Namespace = verifyPGNamespace
		shards = append(shards, s)
		dbs = append(dbs, d.DB)
	}
	b, err := json.Marshal(map[string]any{"shardConfigs": shards})
	if err != nil {
		t.Fatal(err)
	}
	shardFile := filepath.Join(t.TempDir(), "shards.json")
	if err := os.WriteFile(shardFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	mainDB := testenv.CreateDatabase(t, emu, prefix+suffix, false, verifyPGSpanner)
	testenv.CreateDatabase(t, emu, prefix+"meta"+suffix, false, nil)
	client, err := spanner.NewClient(context.Background(), mainDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	e := &verifyEnv{dbA: dbs[0], dbB: dbs[1], client: client, dlqDir: t.TempDir(), emuDBName: prefix + suffix}
	e.values = params.Values{
		"sourceType":       "postgresql",
		"changeStreamName": "allstream", "instanceId": emu.Instance, "databaseId": prefix + suffix,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": prefix + "meta" + suffix,
		"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": e.dlqDir, "isShardedMigration": "true",
		"shardingCustomJarPath": exampleModule(t), "shardingCustomClassName": "shard_id",
		"shardingCustomParameters": `{"column":"Id","shards":["shardA","shardB"]}`,
	}
	return e
}

func itemsPGMutations(from, to int64) []*spanner.Mutation {
	var ms []*spanner.Mutation
	for id := from; id <= to; id++ {
		price, _ := new(big.Rat).SetString(fmt.Sprintf("%d.25", id))
		ms = append(ms, spanner.InsertOrUpdate("Items",
			[]string{"Id", "Name", "Price", "Seen", "Data", "Score", "Doc", "Tags", "Born", "Active", "Ratio"},
			[]any{id, fmt.Sprintf("item %d", id), price, time.Date(2024, 5, 1, 10, 0, int(id), 0, time.UTC), []byte{byte(id), 0}, float64(id) / 3,
				spanner.NullJSON{Value: map[string]any{"z": id, "a": []any{1.5, "x"}, "m": map[string]any{"k": nil}}, Valid: true},
				[]string{"a,b", fmt.Sprintf("t%d", id), `q"u`}, civil.Date{Year: 2000 + int(id), Month: time.March, Day: 1}, id%2 == 0, float32(id) / 7}))
	}
	return ms
}

// TestVerifyPostgreSQLCorrupt replicates to two PostgreSQL shards,
// verifies (nothing differs: every column family reads back in the form
// the writer binds), then damages the shards: verify reports exactly the
// damaged keys, with the differing columns. With shadowTableLocation=
// source the in-flight rule reads each damaged key's shadow row in the
// shard's namespace (an older version: reported).
func TestVerifyPostgreSQLCorrupt(t *testing.T) {
	for _, loc := range []string{params.ShadowInMetadata, params.ShadowInSource} {
		t.Run(loc, func(t *testing.T) {
			e := newVerifyPGEnv(t, "vpg")
			e.values[params.ShadowTableLocation] = loc
			verifyPostgreSQLCorrupt(t, e)
		})
	}
}

func verifyPostgreSQLCorrupt(t *testing.T, e *verifyEnv) {
	ctx := context.Background()
	e.replicate(t, 12*time.Second, func() error {
		time.Sleep(2 * time.Second)
		_, err := e.client.Apply(ctx, itemsPGMutations(1, 20))
		return err
	})
	expectRows(t, e.dbA, `SELECT COUNT(*) FROM app."Items"`, "10")
	expectRows(t, e.dbB, `SELECT COUNT(*) FROM app."Items"`, "10")

	r, ms := e.verifyRun(t, pipeline.Env{})
	want := []string{`{"table":"Items","shard":"shardA","counts":{"equal":10}}`, `{"table":"Items","shard":"shardB","counts":{"equal":10}}`, "mismatches: 0"}
	if r.Mismatches != 0 || len(ms) != 0 || strings.Join(r.Lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after replication: summary\n%s\nwant\n%s\nmismatches %v", strings.Join(r.Lines, "\n"), strings.Join(want, "\n"), ms)
	}

	for _, q := range []struct {
		db  *sql.DB
		sql string
	}{
		{e.dbA, `DELETE FROM app."Items" WHERE "Id" = 2`},
		{e.dbB, `UPDATE app."Items" SET "Name" = 'changed', "Doc" = '{"z": 3}' WHERE "Id" = 3`},
		{e.dbA, `INSERT INTO app."Items" ("Id", "Name") VALUES (100, 'not in Spanner')`},
		{e.dbB, `UPDATE app."Items" SET "Tags" = '{"a,b",t7}' WHERE "Id" = 7`},
	} {
		if _, err := q.db.Exec(q.sql); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	inSource := e.values[params.ShadowTableLocation] == params.ShadowInSource
	if inSource {
		// Key 9 differs too, but its shadow row in shardB (found by the
		// key's text beside the hash) says a change of the far future was
		// applied: in flight at the read and at the recheck, not reported.
		res, err := e.dbB.Exec(`UPDATE app."shadow_Items" SET processed_commit_ts = $1 WHERE "Id" = '9'`,
			time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("shardB's shadow_Items has %d rows for key 9, want 1", n)
		}
		if _, err := e.dbB.Exec(`UPDATE app."Items" SET "Name" = 'later' WHERE "Id" = 9`); err != nil {
			t.Fatal(err)
		}
	}
	r, ms = e.verifyRun(t, pipeline.Env{}, "spannerMetadataTableName", "verify_meta_1")
	if inSource && e.rechecked != 1 {
		t.Errorf("%d keys read again, want 1 (key 9)", e.rechecked)
	}
	var got []string
	for _, m := range ms {
		got = append(got, describe(m))
	}
	wantMs := []string{
		"shardA/Items/100/extra",
		"shardA/Items/2/missing",
		`shardB/Items/3/different Name:"item 3"!="changed" Doc:"{\"a\":[1.5,\"x\"],\"m\":{\"k\":null},\"z\":3}"!="{\"z\":3}"`,
		`shardB/Items/7/different Tags:"[\"a,b\",\"t7\",\"q\\\"u\"]"!="[\"a,b\",\"t7\"]"`,
	}
	if strings.Join(got, "\n") != strings.Join(wantMs, "\n") || r.Mismatches != 4 {
		t.Errorf("after the damage: mismatches %d\n%s\nwant\n%s", r.Mismatches, strings.Join(got, "\n"), strings.Join(wantMs, "\n"))
	}
}
