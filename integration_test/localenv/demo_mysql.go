package localenv

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"

	"github.com/go-sql-driver/mysql"
)

// The demo's MySQL account: the pipeline logs in as a user with only the
// rights it needs on the shard databases, as in production.
const (
	demoUser     = "revrepl_demo"
	demoPassword = "revrepl-demo"
)

// DemoShardSet is the demo's MySQL side: one database per shard.
type DemoShardSet struct {
	Shards    []Shard           // open pools, one per shard
	DBName    map[string]string // shard id -> database name
	ShardFile []byte            // the sourceShardsFilePath content
}

// Close closes the pools.
func (s *DemoShardSet) Close() {
	for _, sh := range s.Shards {
		sh.DB.Close()
	}
}

// CreateDemoShards creates one database per demo shard, named prefix plus
// the shard id, with the demo's MySQL schema, and the account the pipeline
// uses (SELECT, INSERT, UPDATE, DELETE on those databases).
func CreateDemoShards(ctx context.Context, addr, rootUser, prefix string) (*DemoShardSet, error) {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User = "tcp", addr, rootUser
	root, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, err
	}
	defer root.Close()
	conn, err := root.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("MariaDB at %s as %s: %w (run `make services` to start it)", addr, rootUser, err)
	}
	defer conn.Close()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("MySQL address %q: %w", addr, err)
	}
	set := &DemoShardSet{DBName: map[string]string{}}
	type shardConfig struct {
		LogicalShardID string `json:"logicalShardId"`
		Host           string `json:"host"`
		Port           string `json:"port"`
		User           string `json:"user"`
		Password       string `json:"password"`
		DBName         string `json:"dbName"`
	}
	var configs []shardConfig
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s'", demoUser, demoPassword)); err != nil {
		return nil, fmt.Errorf("MariaDB: creating user %s: %w", demoUser, err)
	}
	for _, id := range DemoShards {
		name := prefix + "_" + id
		stmts := append([]string{
			"CREATE DATABASE `" + name + "`",
			fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'%%'", name, demoUser),
			"USE `" + name + "`",
		}, DemoMySQLDDL...)
		for _, st := range stmts {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				set.Close()
				return nil, fmt.Errorf("MariaDB: %s: %w", st, err)
			}
		}
		dc := mysql.NewConfig()
		dc.Net, dc.Addr, dc.User, dc.DBName = "tcp", addr, rootUser, name
		db, err := sql.Open("mysql", dc.FormatDSN())
		if err != nil {
			set.Close()
			return nil, err
		}
		set.Shards = append(set.Shards, Shard{ID: id, DB: db})
		set.DBName[id] = name
		configs = append(configs, shardConfig{LogicalShardID: id, Host: host, Port: port, User: demoUser, Password: demoPassword, DBName: name})
	}
	set.ShardFile, err = json.MarshalIndent(map[string]any{"shardConfigs": configs}, "", "  ")
	if err != nil {
		set.Close()
		return nil, err
	}
	return set, nil
}
