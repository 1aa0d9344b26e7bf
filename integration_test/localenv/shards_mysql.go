package localenv

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"

	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// ShardDB is one shard database to create: its logical shard id and name.
type ShardDB struct {
	ID   string
	Name string
}

// ShardSetup says which shard databases CreateShards makes and how.
type ShardSetup struct {
	Addr     string // MySQL address, host:port
	RootUser string // an account (empty password) allowed to create databases and users
	// User and Password are the account the pipeline logs in as; it gets
	// SELECT, INSERT, UPDATE, DELETE on each database.
	User, Password string
	Databases      []ShardDB
	// DDL creates the tables in each database.
	DDL []string
	// Replace drops a database of the same name first; without it an
	// existing database is an error.
	Replace bool
}

// ShardSet is a created set of shard databases.
type ShardSet struct {
	Shards    []Shard           // open pools (as RootUser), one per shard
	DBName    map[string]string // shard id -> database name
	ShardFile []byte            // the sourceShardsFilePath content
	// User is the pipeline's account ('User'@'%') when CreateShards
	// created it; "" when it existed before (it is then not dropped).
	User string

	addr, rootUser string
	created        []string // databases created, in order
	// postgresql: the databases are PostgreSQL ones (CreatePGShards).
	postgresql bool
}

// Close closes the pools.
func (s *ShardSet) Close() {
	for _, sh := range s.Shards {
		sh.DB.Close()
	}
	s.Shards = nil
}

// Databases lists the databases the set created.
func (s *ShardSet) Databases() []string { return append([]string(nil), s.created...) }

// DropStatements are the statements that remove what the set created: its
// databases and, when it created it, its account. The demo prints them
// when asked to keep everything.
func (s *ShardSet) DropStatements() []string {
	if s.postgresql {
		return s.pgDropStatements()
	}
	var out []string
	for _, db := range s.created {
		out = append(out, "DROP DATABASE IF EXISTS `"+db+"`")
	}
	if s.User != "" {
		out = append(out, "DROP USER IF EXISTS `"+s.User+"`@`%`")
	}
	return out
}

// Drop closes the pools and removes the databases and the account the set
// created. It tries every statement and returns the errors of all that
// failed.
func (s *ShardSet) Drop(ctx context.Context) error {
	s.Close()
	stmts := s.DropStatements()
	if len(stmts) == 0 {
		return nil
	}
	open, server := RootDB, "MariaDB"
	if s.postgresql {
		open, server = PGAdminDB, "PostgreSQL"
	}
	root, err := open(ctx, s.addr, s.rootUser)
	if err != nil {
		return err
	}
	defer root.Close()
	var errs []error
	for _, st := range stmts {
		if _, err := root.ExecContext(ctx, st); err != nil {
			errs = append(errs, fmt.Errorf("%s at %s: %s: %w", server, s.addr, st, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.created, s.User = nil, ""
	return nil
}

// RootDB opens a pool on the MySQL server at addr as rootUser, with an
// empty password, and checks that it answers.
func RootDB(ctx context.Context, addr, rootUser string) (*sql.DB, error) {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User = "tcp", addr, rootUser
	root, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, err
	}
	if err := root.PingContext(ctx); err != nil {
		root.Close()
		return nil, fmt.Errorf("MariaDB at %s as %s: %w (run `make services` to start it)", addr, rootUser, err)
	}
	return root, nil
}

// CreateShards creates the shard databases with their tables and the
// pipeline's account, and renders the shard file naming them. On error it
// removes what it had created.
func CreateShards(ctx context.Context, s ShardSetup) (_ *ShardSet, err error) {
	root, err := RootDB(ctx, s.Addr, s.RootUser)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	conn, err := root.Conn(ctx) // USE sticks to one connection
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return nil, fmt.Errorf("MySQL address %q: %w", s.Addr, err)
	}
	set := &ShardSet{DBName: map[string]string{}, addr: s.Addr, rootUser: s.RootUser}
	defer func() {
		if err != nil {
			if derr := set.Drop(context.WithoutCancel(ctx)); derr != nil {
				err = fmt.Errorf("%w (and removing what was created: %v)", err, derr)
			}
		}
	}()
	var configs []target.Shard
	var existed int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = '%'", s.User).Scan(&existed); err != nil {
		return nil, fmt.Errorf("MariaDB: looking up user %s: %w", s.User, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s'", s.User, s.Password)); err != nil {
		return nil, fmt.Errorf("MariaDB: creating user %s: %w", s.User, err)
	}
	if existed == 0 {
		set.User = s.User
	}
	for _, d := range s.Databases {
		var stmts []string
		if s.Replace {
			stmts = append(stmts, "DROP DATABASE IF EXISTS `"+d.Name+"`")
		}
		for _, st := range stmts {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return nil, fmt.Errorf("MariaDB: %s: %w", st, err)
			}
		}
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE `"+d.Name+"`"); err != nil {
			return nil, fmt.Errorf("MariaDB: creating database %s: %w", d.Name, err)
		}
		set.created = append(set.created, d.Name)
		stmts = []string{
			fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'%%'", d.Name, s.User),
			"USE `" + d.Name + "`"}
		for _, st := range append(stmts, s.DDL...) {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return nil, fmt.Errorf("MariaDB: %s: %w", st, err)
			}
		}
		dc := mysql.NewConfig()
		dc.Net, dc.Addr, dc.User, dc.DBName = "tcp", s.Addr, s.RootUser, d.Name
		db, err := sql.Open("mysql", dc.FormatDSN())
		if err != nil {
			return nil, err
		}
		set.Shards = append(set.Shards, Shard{ID: d.ID, DB: db})
		set.DBName[d.ID] = d.Name
		configs = append(configs, target.Shard{LogicalShardID: d.ID, Host: host, Port: target.Port(port), User: s.User, Password: s.Password, DBName: d.Name})
	}
	set.ShardFile, err = json.MarshalIndent(map[string]any{"shardConfigs": configs}, "", "  ")
	if err != nil {
		return nil, err
	}
	return set, nil
}
