package localenv

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// pgConnString is a libpq keyword/value string; sessions run in UTC, as
// the comparison of timestamps expects.
func pgConnString(addr, user, dbName string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL address %q: %w", addr, err)
	}
	q := func(s string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'" }
	return fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable TimeZone=UTC connect_timeout=10",
		q(host), q(port), q(user), q(dbName)), nil
}

// PGAdminDB opens a pool on the PostgreSQL server at addr as adminUser
// (trust or peer-less local authentication, no password) on its postgres
// database, and checks that it answers.
func PGAdminDB(ctx context.Context, addr, adminUser string) (*sql.DB, error) {
	return pgOpen(ctx, addr, adminUser, "postgres")
}

func pgOpen(ctx context.Context, addr, user, dbName string) (*sql.DB, error) {
	cs, err := pgConnString(addr, user, dbName)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", cs)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL at %s as %s: %w (run `make services` to start it)", addr, user, err)
	}
	return db, nil
}

// pgIdent quotes a PostgreSQL identifier.
func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// pgDropStatements are DropStatements for PostgreSQL.
func (s *ShardSet) pgDropStatements() []string {
	var out []string
	for _, db := range s.created {
		out = append(out, "DROP DATABASE IF EXISTS "+pgIdent(db)+" WITH (FORCE)")
	}
	if s.User != "" {
		out = append(out, "DROP ROLE IF EXISTS "+pgIdent(s.User))
	}
	return out
}

// CreatePGShards is CreateShards on PostgreSQL: s.Addr is a PostgreSQL
// server, s.RootUser a superuser (no password); the account gets USAGE on
// the public schema and SELECT, INSERT, UPDATE, DELETE on its tables. The
// set's pools (as the superuser) compare as PostgreSQL shards.
func CreatePGShards(ctx context.Context, s ShardSetup) (_ *ShardSet, err error) {
	admin, err := PGAdminDB(ctx, s.Addr, s.RootUser)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL address %q: %w", s.Addr, err)
	}
	set := &ShardSet{DBName: map[string]string{}, addr: s.Addr, rootUser: s.RootUser, postgresql: true}
	defer func() {
		if err != nil {
			if derr := set.Drop(context.WithoutCancel(ctx)); derr != nil {
				err = fmt.Errorf("%w (and removing what was created: %v)", err, derr)
			}
		}
	}()
	var existed bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", s.User).Scan(&existed); err != nil {
		return nil, fmt.Errorf("PostgreSQL: looking up role %s: %w", s.User, err)
	}
	if !existed {
		if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pgIdent(s.User), strings.ReplaceAll(s.Password, "'", "''"))); err != nil {
			return nil, fmt.Errorf("PostgreSQL: creating role %s: %w", s.User, err)
		}
		set.User = s.User
	}
	var configs []target.Shard
	for _, d := range s.Databases {
		if s.Replace {
			if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgIdent(d.Name)+" WITH (FORCE)"); err != nil {
				return nil, fmt.Errorf("PostgreSQL: dropping database %s: %w", d.Name, err)
			}
		}
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pgIdent(d.Name)); err != nil {
			return nil, fmt.Errorf("PostgreSQL: creating database %s: %w", d.Name, err)
		}
		set.created = append(set.created, d.Name)
		db, err := pgOpen(ctx, s.Addr, s.RootUser, d.Name)
		if err != nil {
			return nil, err
		}
		set.Shards = append(set.Shards, Shard{ID: d.ID, DB: db, PostgreSQL: true})
		set.DBName[d.ID] = d.Name
		stmts := append(append([]string{}, s.DDL...),
			"GRANT USAGE ON SCHEMA public TO "+pgIdent(s.User),
			"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "+pgIdent(s.User))
		for _, st := range stmts {
			if _, err := db.ExecContext(ctx, st); err != nil {
				return nil, fmt.Errorf("PostgreSQL: %s: %w", st, err)
			}
		}
		configs = append(configs, target.Shard{LogicalShardID: d.ID, Host: host, Port: target.Port(port), User: s.User, Password: s.Password,
			DBName: d.Name, ConnectionProperties: "sslmode=disable"})
	}
	set.ShardFile, err = json.MarshalIndent(map[string]any{"shardConfigs": configs}, "", "  ")
	if err != nil {
		return nil, err
	}
	return set, nil
}
