package testenv

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// ShardUser and ShardPassword are the MySQL account that shard files made
// by ShardFile use: the template requires a password (as the Java one does),
// so tests cannot use the password-less root.
const (
	ShardUser     = "revrepl"
	ShardPassword = "revrepl-test"
)

// ShardFile grants the test account all rights on the database of each DSN
// (as made by MySQL) and writes a shard file naming those databases as
// shards shard1, shard2, ... in t's temp dir. A single DSN gives a shard
// file whose only shard has an empty logicalShardId, as users write it.
func ShardFile(t testing.TB, admin *sql.DB, dsns ...string) string {
	t.Helper()
	if _, err := admin.Exec(fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s'", ShardUser, ShardPassword)); err != nil {
		t.Fatalf("testenv: create user: %v", err)
	}
	var shards []target.Shard
	for i, dsn := range dsns {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%%'", cfg.DBName, ShardUser)); err != nil {
			t.Fatalf("testenv: grant: %v", err)
		}
		host, port, _ := net.SplitHostPort(cfg.Addr)
		id := ""
		if len(dsns) > 1 {
			id = fmt.Sprintf("shard%d", i+1)
		}
		shards = append(shards, target.Shard{LogicalShardID: id, Host: host, Port: target.Port(port), User: ShardUser, Password: ShardPassword, DBName: cfg.DBName})
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
