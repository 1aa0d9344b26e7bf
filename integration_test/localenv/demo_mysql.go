package localenv

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-sql-driver/mysql"
)

// demoPassword is the password of the demo's MySQL account. The pipeline
// logs in as a user with only the rights it needs on the shard databases,
// as in production; the account is the run's own (named like its
// databases' prefix) so that removing it cannot affect another run.
const demoPassword = "revrepl-demo"

// DemoShardSet is the demo's MySQL side: one database per shard and the
// account the pipeline uses.
type DemoShardSet struct {
	Shards    []Shard           // open pools, one per shard
	DBName    map[string]string // shard id -> database name
	ShardFile []byte            // the sourceShardsFilePath content
	User      string            // the pipeline's MySQL account ('User'@'%'); "" until created

	addr, rootUser string
	created        []string // databases created, in order
}

// Close closes the pools.
func (s *DemoShardSet) Close() {
	for _, sh := range s.Shards {
		sh.DB.Close()
	}
	s.Shards = nil
}

// Databases lists the databases the set created.
func (s *DemoShardSet) Databases() []string { return append([]string(nil), s.created...) }

// DropStatements are the statements that remove what the set created:
// its databases and its account. The demo prints them when asked to keep
// everything.
func (s *DemoShardSet) DropStatements() []string {
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
func (s *DemoShardSet) Drop(ctx context.Context) error {
	s.Close()
	stmts := s.DropStatements()
	if len(stmts) == 0 {
		return nil
	}
	root, err := openRoot(s.addr, s.rootUser)
	if err != nil {
		return err
	}
	defer root.Close()
	var errs []error
	for _, st := range stmts {
		if _, err := root.ExecContext(ctx, st); err != nil {
			errs = append(errs, fmt.Errorf("MariaDB at %s: %s: %w", s.addr, st, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.created, s.User = nil, ""
	return nil
}

func openRoot(addr, rootUser string) (*sql.DB, error) {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User = "tcp", addr, rootUser
	c.Timeout = 5 * time.Second
	return sql.Open("mysql", c.FormatDSN())
}

// CreateDemoShards creates one database per demo shard, named prefix plus
// the shard id, with the demo's MySQL schema, and the account the pipeline
// uses, named prefix (SELECT, INSERT, UPDATE, DELETE on those databases).
// On error it removes what it created.
func CreateDemoShards(ctx context.Context, addr, rootUser, prefix string) (set *DemoShardSet, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("MySQL address %q: %w", addr, err)
	}
	root, err := openRoot(addr, rootUser)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	conn, err := root.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("MariaDB at %s as %s: %w (run `make services` to start it)", addr, rootUser, err)
	}
	defer conn.Close()
	// made, not the result: a failing return has set the result to nil
	// before the deferred removal runs.
	made := &DemoShardSet{DBName: map[string]string{}, addr: addr, rootUser: rootUser}
	defer func() {
		if err != nil {
			if derr := made.Drop(context.WithoutCancel(ctx)); derr != nil {
				err = fmt.Errorf("%w (and removing what was created: %v)", err, derr)
			}
		}
	}()
	set = made
	type shardConfig struct {
		LogicalShardID string `json:"logicalShardId"`
		Host           string `json:"host"`
		Port           string `json:"port"`
		User           string `json:"user"`
		Password       string `json:"password"`
		DBName         string `json:"dbName"`
	}
	var configs []shardConfig
	user := prefix
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, demoPassword)); err != nil {
		return nil, fmt.Errorf("MariaDB: creating user %s: %w", user, err)
	}
	set.User = user
	for _, id := range DemoShards {
		name := prefix + "_" + id
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
			return nil, fmt.Errorf("MariaDB: creating database %s: %w", name, err)
		}
		set.created = append(set.created, name)
		stmts := append([]string{
			fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'%%'", name, user),
			"USE `" + name + "`",
		}, DemoMySQLDDL...)
		for _, st := range stmts {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return nil, fmt.Errorf("MariaDB: %s: %w", st, err)
			}
		}
		dc := mysql.NewConfig()
		dc.Net, dc.Addr, dc.User, dc.DBName = "tcp", addr, rootUser, name
		db, err := sql.Open("mysql", dc.FormatDSN())
		if err != nil {
			return nil, err
		}
		set.Shards = append(set.Shards, Shard{ID: id, DB: db})
		set.DBName[id] = name
		configs = append(configs, shardConfig{LogicalShardID: id, Host: host, Port: port, User: user, Password: demoPassword, DBName: name})
	}
	set.ShardFile, err = json.MarshalIndent(map[string]any{"shardConfigs": configs}, "", "  ")
	if err != nil {
		return nil, err
	}
	return set, nil
}
