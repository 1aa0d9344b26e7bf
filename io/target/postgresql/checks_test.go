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
	// Table rights are CheckTables' business, once the mapped tables are
	// known.
	if err := CheckShard(ctx, shardOf(d, noDelete, "pw")); err != nil {
		t.Fatalf("a user lacking DELETE on a table: %v", err)
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

	// Read-only database and a missing namespace: both reported at once.
	if _, err := d.DB.Exec(`ALTER DATABASE "` + d.Name + `" SET default_transaction_read_only = on`); err != nil {
		t.Fatal(err)
	}
	s = shardOf(d, full, "pw")
	s.Namespace = "nope"
	err := CheckShard(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), `namespace "nope" does not exist`) {
		t.Errorf("read-only database with a missing namespace: %v", err)
	}
	if _, err := d.DB.Exec(`ALTER DATABASE "` + d.Name + `" RESET default_transaction_read_only`); err != nil {
		t.Fatal(err)
	}
}

// TestCheckTables: only the tables asked about count; every problem
// (missing table, each lacking privilege) is reported together.
func TestCheckTables(t *testing.T) {
	d := testenv.PostgreSQL(t)
	for _, q := range []string{
		`CREATE TABLE a (id int PRIMARY KEY)`, `CREATE TABLE b (id int PRIMARY KEY)`, `CREATE TABLE "Odd, name" (id int PRIMARY KEY)`,
		`CREATE TABLE unreplicated (id int PRIMARY KEY)`,
	} {
		if _, err := d.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	u := role(t, d, "tables")
	for _, q := range []string{`GRANT USAGE ON SCHEMA public TO "%s"`, `GRANT SELECT, INSERT, UPDATE, DELETE ON a, "Odd, name" TO "%s"`,
		`GRANT SELECT, INSERT, UPDATE ON b TO "%s"`} {
		if _, err := d.DB.Exec(strings.ReplaceAll(q, "%s", u)); err != nil {
			t.Fatal(err)
		}
	}
	s := shardOf(d, u, "pw")
	tests := []struct {
		name    string
		tables  []string
		want    []string
		notWant []string
	}{
		{name: "rights on the asked tables", tables: []string{"a", "Odd, name"}},
		{name: "no DELETE on b", tables: []string{"a", "b"},
			want:    []string{`the user lacks DELETE on replicated table(s) b of namespace "public"`, `GRANT DELETE ON "public"."b"`},
			notWant: []string{"lacks SELECT", "lacks INSERT", "lacks UPDATE", "unreplicated"}},
		{name: "nothing on unreplicated, missing table", tables: []string{"a", "unreplicated", "gone"},
			want: []string{`table(s) gone missing from namespace "public"`, "lacks SELECT on replicated table(s) unreplicated",
				"lacks INSERT on replicated table(s) unreplicated", "lacks UPDATE on replicated table(s) unreplicated", "lacks DELETE on replicated table(s) unreplicated"}},
		{name: "case matters: the schema's spelling", tables: []string{"A"}, want: []string{"table(s) A missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTables(t.Context(), s, tt.tables)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error has %q:\n%v", w, err)
				}
			}
		})
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
