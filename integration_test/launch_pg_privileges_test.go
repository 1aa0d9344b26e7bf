package integration_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestLaunchPostgreSQLPrivileges: the launch checks the user's rights on
// the tables the job writes (the mapped ones) and on no other. A user with
// every right on singers but none on an unreplicated table launches; a
// user lacking DELETE on singers is refused, the message naming the
// table and the privilege, and a second shard's problem is reported in the
// same error.
func TestLaunchPostgreSQLPrivileges(t *testing.T) {
	emu := testenv.Spanner(t)
	d1, d2 := testenv.PostgreSQL(t), testenv.PostgreSQL(t)
	for _, d := range []testenv.PGDatabase{d1, d2} {
		execAllPG(t, d, localenv.SamplePostgreSQLDDL,
			// Not in Spanner: nothing is written there.
			`CREATE TABLE audit_log (id bigint PRIMARY KEY, note text)`)
	}
	exact := d1.Name + "_exact"
	noDelete := d1.Name + "_nodel"
	for _, r := range []string{exact, noDelete} {
		testenv.PGRole(t, d1, r, "pw")
	}
	t.Cleanup(func() {
		for _, d := range []testenv.PGDatabase{d1, d2} {
			for _, r := range []string{exact, noDelete} {
				_, _ = d.DB.Exec(`DROP OWNED BY "` + r + `"`)
			}
		}
		for _, r := range []string{exact, noDelete} {
			_, _ = d1.DB.Exec(`DROP ROLE IF EXISTS "` + r + `"`)
		}
	})
	for _, d := range []testenv.PGDatabase{d1, d2} {
		execAllPG(t, d,
			fmt.Sprintf(`GRANT USAGE ON SCHEMA public TO "%s", "%s"`, exact, noDelete),
			fmt.Sprintf(`GRANT SELECT, INSERT, UPDATE, DELETE ON singers TO "%s"`, exact),
			fmt.Sprintf(`GRANT SELECT, INSERT, UPDATE ON singers TO "%s"`, noDelete),
			// Every right on the unreplicated table: not what is missing.
			fmt.Sprintf(`GRANT ALL ON audit_log TO "%s"`, noDelete))
	}

	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	testenv.CreateDatabase(t, emu, "main"+suffix, false, localenv.SampleSpannerDDL)
	testenv.CreateDatabase(t, emu, "meta"+suffix, false, nil)
	launch := func(t *testing.T, shards ...target.Shard) error {
		t.Helper()
		cfg, err := params.Parse(params.Values{
			"sourceType":       "postgresql",
			"changeStreamName": localenv.SampleStream, "instanceId": emu.Instance, "databaseId": "main" + suffix,
			"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": "meta" + suffix,
			"sourceShardsFilePath": pgShardFileOf(t, shards...), "isShardedMigration": fmt.Sprint(len(shards) > 1),
			"deadLetterQueueDirectory": t.TempDir(),
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, err = pipeline.Check(t.Context(), cfg, pipeline.Env{})
		return err
	}
	as := func(d testenv.PGDatabase, id, user string) target.Shard {
		s := d.Shard(id)
		s.User, s.Password = user, "pw"
		return s
	}

	t.Run("rights on the mapped tables only", func(t *testing.T) {
		if err := launch(t, as(d1, "", exact)); err != nil {
			t.Fatalf("launch refused a user with every right on the replicated table: %v", err)
		}
	})
	t.Run("no DELETE on a mapped table", func(t *testing.T) {
		err := launch(t, as(d1, "s1", noDelete), as(d2, "s2", noDelete))
		if err == nil {
			t.Fatal("launch accepted a user without DELETE on singers")
		}
		msg := err.Error()
		for _, want := range []string{
			`shard "s1"`, `shard "s2"`,
			`the user lacks DELETE on replicated table(s) singers of namespace "public"`,
			`GRANT DELETE ON "public"."singers"`,
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("error lacks %q:\n%s", want, msg)
			}
		}
		for _, notWant := range []string{"audit_log", "lacks SELECT", "lacks INSERT", "lacks UPDATE"} {
			if strings.Contains(msg, notWant) {
				t.Errorf("error mentions %q:\n%s", notWant, msg)
			}
		}
	})
	t.Run("mapped table missing on a second shard", func(t *testing.T) {
		d3 := testenv.PostgreSQL(t)
		execAllPG(t, d3, `CREATE TABLE audit_log (id bigint PRIMARY KEY)`)
		testenv.PGShardFile(t, d1, d3) // grants the test account everything on both
		err := launch(t, d1.Shard("s1"), d3.Shard("s3"))
		if err == nil || !strings.Contains(err.Error(), `shard "s3"`) || !strings.Contains(err.Error(), `table(s) singers missing from namespace "public"`) ||
			strings.Contains(err.Error(), `shard "s1"`) {
			t.Errorf("a shard without the replicated table: %v", err)
		}
	})
}

// execAllPG runs statements on d as the admin.
func execAllPG(t *testing.T, d testenv.PGDatabase, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := d.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// pgShardFileOf writes shards as a shard file in t's temp dir.
func pgShardFileOf(t *testing.T, shards ...target.Shard) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"shardConfigs": shards})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shards.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
