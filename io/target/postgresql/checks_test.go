package postgresql

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// shardOf is d as a shard for role (the test's own, so that privileges
// matter), with TLS off as on the test server.
func shardOf(d testenv.PGDatabase, role, password string) Shard {
	return Shard{LogicalShardID: "s1", Host: d.Host, Port: target.Port(d.Port), User: role, Password: password,
		DBName: d.Name, ConnectionProperties: "sslmode=disable"}
}

// role creates a role named after the database (roles are cluster-wide).
func role(t *testing.T, d testenv.PGDatabase, suffix string) string {
	t.Helper()
	name := d.Name + "_" + suffix
	testenv.PGRole(t, d, name, "pw")
	t.Cleanup(func() {
		// Owned privileges go first, or the role cannot be dropped.
		_, _ = d.DB.Exec(`DROP OWNED BY "` + name + `"`)
		_, _ = d.DB.Exec(`DROP ROLE IF EXISTS "` + name + `"`)
	})
	return name
}

func TestCheckShard(t *testing.T) {
	d := testenv.PostgreSQL(t)
	for _, q := range []string{
		`CREATE TABLE a (id int PRIMARY KEY)`, `CREATE TABLE b (id int PRIMARY KEY)`,
		`CREATE SCHEMA empty`,
	} {
		if _, err := d.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	full := role(t, d, "full")
	testenv.PGGrantAll(t, d, full)
	noDelete := role(t, d, "nodelete")
	for _, q := range []string{`GRANT USAGE ON SCHEMA public TO "%s"`, `GRANT SELECT, INSERT, UPDATE ON a, b TO "%s"`, `GRANT DELETE ON a TO "%s"`} {
		if _, err := d.DB.Exec(strings.ReplaceAll(q, "%s", noDelete)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	if err := CheckShard(ctx, shardOf(d, full, "pw")); err != nil {
		t.Fatalf("a user with every right: %v", err)
	}

	err := CheckShard(ctx, shardOf(d, noDelete, "pw"))
	if err == nil || !strings.Contains(err.Error(), "lacks DELETE on table(s) b") || strings.Contains(err.Error(), "table(s) a") {
		t.Errorf("missing DELETE on b: %v", err)
	}

	s := shardOf(d, full, "pw")
	s.Namespace = "nope"
	if err := CheckShard(ctx, s); err == nil || !strings.Contains(err.Error(), `namespace "nope" does not exist`) {
		t.Errorf("missing namespace: %v", err)
	}
	s.Namespace = "empty"
	if err := CheckShard(ctx, s); err == nil || !strings.Contains(err.Error(), `lacks USAGE on namespace "empty"`) {
		t.Errorf("namespace without USAGE: %v", err)
	}

	s = shardOf(d, full, "pw")
	s.DBName = d.Name + "_missing"
	if err := CheckShard(ctx, s); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing database: %v", err)
	}

	// Read-only database and a missing privilege: both reported at once.
	if _, err := d.DB.Exec(`ALTER DATABASE "` + d.Name + `" SET default_transaction_read_only = on`); err != nil {
		t.Fatal(err)
	}
	err = CheckShard(ctx, shardOf(d, noDelete, "pw"))
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "lacks DELETE") {
		t.Errorf("read-only database with a missing privilege: %v", err)
	}
	if _, err := d.DB.Exec(`ALTER DATABASE "` + d.Name + `" RESET default_transaction_read_only`); err != nil {
		t.Fatal(err)
	}
}

func TestCheckShardUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close() // nothing listens there now
	s := Shard{LogicalShardID: "s1", Host: "127.0.0.1", Port: target.Port(port), User: "u", Password: "p", DBName: "d", ConnectionProperties: "sslmode=disable;connectTimeout=2"}
	err = target.CheckShards(context.Background(), Target{}, []Shard{s, func() Shard { s2 := s; s2.LogicalShardID = "s2"; return s2 }()})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the server") || !strings.Contains(err.Error(), `shard "s1"`) || !strings.Contains(err.Error(), `shard "s2"`) {
		t.Errorf("unreachable shards, both named: %v", err)
	}
}

func TestCheckShardLogin(t *testing.T) {
	d := testenv.PostgreSQL(t)
	s := shardOf(d, d.Name+"_nobody", "pw")
	err := CheckShard(t.Context(), s)
	if err == nil || !strings.Contains(err.Error(), "login failed") {
		t.Errorf("unknown user: %v", err)
	}
}
