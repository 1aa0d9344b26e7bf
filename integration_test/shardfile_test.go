package integration_test

import (
	"database/sql"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// shardSpec is one shard of a test shard file.
type shardSpec struct {
	ID       string
	DSN      string // from testenv.MySQL; host, port and database come from it
	User     string
	Password string
	Secret   string // secretManagerUri instead of the password
	DBName   string // overrides the DSN's database
	Port     string // overrides the DSN's port
}

// writeShardFile writes a shard file in the Java template's object form.
func writeShardFile(t *testing.T, specs ...shardSpec) string {
	t.Helper()
	var shards []map[string]string
	for _, s := range specs {
		cfg, err := mysql.ParseDSN(s.DSN)
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(cfg.Addr)
		if s.Port != "" {
			port = s.Port
		}
		db := cfg.DBName
		if s.DBName != "" {
			db = s.DBName
		}
		sh := map[string]string{"logicalShardId": s.ID, "host": host, "port": port, "user": s.User, "dbName": db}
		if s.Secret != "" {
			sh["secretManagerUri"] = s.Secret
		} else {
			sh["password"] = s.Password
		}
		shards = append(shards, sh)
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

// execAll runs DDL statements one by one.
func execAll(t *testing.T, db *sql.DB, stmts []string) {
	t.Helper()
	for _, st := range stmts {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%.80s: %v", st, err)
		}
	}
}
