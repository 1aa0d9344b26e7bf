package testenv

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// PostgreSQL is expected at 127.0.0.1:5432 as postgres (trust or password
// authentication); REVREPL_PG_ADDR, REVREPL_PG_USER and REVREPL_PG_PASSWORD
// override those defaults.

// PGDatabase is a PostgreSQL test database: where it is, and a superuser
// pool connected to it.
type PGDatabase struct {
	Host, Port, User, Password string
	Name                       string
	DB                         *sql.DB
}

// ConnString is a libpq keyword/value string for db as user with
// password (empty: the admin's).
func (d PGDatabase) ConnString(user, password string) string {
	if user == "" {
		user, password = d.User, d.Password
	}
	q := func(s string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'" }
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable TimeZone=UTC",
		q(d.Host), q(d.Port), q(user), q(password), q(d.Name))
}

// Shard is the shard-file entry of d for the test account (PGShardUser).
func (d PGDatabase) Shard(id string) target.Shard {
	return target.Shard{LogicalShardID: id, Host: d.Host, Port: target.Port(d.Port), User: PGShardUser, Password: PGShardPassword,
		DBName: d.Name, ConnectionProperties: "sslmode=disable"}
}

// PGShardUser and PGShardPassword are the PostgreSQL account of shard
// files made by PGShardFile: not a superuser, so that privileges matter.
const (
	PGShardUser     = "revrepl"
	PGShardPassword = "revrepl-test"
)

// pgAdmin connects to the server's postgres database, or reports the
// server unavailable.
func pgAdmin(t testing.TB) (*sql.DB, PGDatabase) {
	t.Helper()
	host, port, err := net.SplitHostPort(envOr("REVREPL_PG_ADDR", "127.0.0.1:5432"))
	if err != nil {
		t.Fatalf("testenv: REVREPL_PG_ADDR: %v", err)
	}
	d := PGDatabase{Host: host, Port: port, User: envOr("REVREPL_PG_USER", "postgres"), Password: envOr("REVREPL_PG_PASSWORD", ""), Name: "postgres"}
	admin, err := pgOpenAdmin(d)
	if err != nil {
		Unavailable(t, "PostgreSQL not reachable at %s:%s as %s: %v", host, port, d.User, err)
	}
	return admin, d
}

// pgOpenAdmin connects to d and checks that it answers.
func pgOpenAdmin(d PGDatabase) (*sql.DB, error) {
	admin, err := sql.Open("pgx", d.ConnString("", "")+" connect_timeout=5")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, err
	}
	return admin, nil
}

// PostgreSQL creates a uniquely named database, drops it when t ends, and
// returns it with a superuser pool connected to it.
func PostgreSQL(t testing.TB) PGDatabase {
	t.Helper()
	admin, d := pgAdmin(t)
	return pgDatabase(t, admin, d)
}

// pgDatabase creates a database through admin (a pool on d's server) and
// drops it when t ends; admin is closed then.
func pgDatabase(t testing.TB, admin *sql.DB, d PGDatabase) PGDatabase {
	t.Helper()
	name := "revrepl_test_" + randomSuffix(t)
	if _, err := admin.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		admin.Close()
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
		admin.Close()
	})
	d.Name = name
	db, err := sql.Open("pgx", d.ConnString("", ""))
	if err != nil {
		t.Fatalf("testenv: open %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the drop: cleanups are LIFO
	d.DB = db
	return d
}

// PGRole creates a login role (ignoring one that exists, for roles tests
// share) with password, and drops nothing: roles are cluster-wide and
// their grants go with the test databases.
func PGRole(t testing.TB, d PGDatabase, role, password string) {
	t.Helper()
	_, err := d.DB.Exec(fmt.Sprintf(`CREATE ROLE "%s" LOGIN PASSWORD '%s'`, role, password))
	var pe *pgconn.PgError
	if err != nil && !(errors.As(err, &pe) && (pe.Code == "42710" || pe.Code == "23505")) { // duplicate_object; a concurrent create
		t.Fatalf("testenv: create role %s: %v", role, err)
	}
}

// PGGrantAll gives role every right the writer needs in d's public
// schema, on its tables now and later (tables the test creates as the
// admin afterwards).
func PGGrantAll(t testing.TB, d PGDatabase, role string) {
	t.Helper()
	for _, q := range []string{
		`GRANT ALL ON SCHEMA public TO "%s"`,
		`GRANT ALL ON ALL TABLES IN SCHEMA public TO "%s"`,
		`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO "%s"`,
	} {
		if _, err := d.DB.Exec(fmt.Sprintf(q, role)); err != nil {
			t.Fatalf("testenv: %s: %v", fmt.Sprintf(q, role), err)
		}
	}
}

// PGShardFile gives the test account (PGShardUser) all rights in each
// database and writes a shard file naming them as shards shard1, shard2,
// ... in t's temp dir (one database: an empty logicalShardId, as users
// write it).
func PGShardFile(t testing.TB, dbs ...PGDatabase) string {
	t.Helper()
	var shards []target.Shard
	for i, d := range dbs {
		PGRole(t, d, PGShardUser, PGShardPassword)
		PGGrantAll(t, d, PGShardUser)
		id := ""
		if len(dbs) > 1 {
			id = fmt.Sprintf("shard%d", i+1)
		}
		shards = append(shards, d.Shard(id))
	}
	b, err := json.MarshalIndent(map[string]any{"shardConfigs": shards}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shards.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
