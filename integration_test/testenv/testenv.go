// Package testenv gives tests access to the local services they need and
// makes their absence loud: a test that cannot reach a service skips with a
// message naming it, or fails when REVREPL_REQUIRE_SERVICES=1 or CI=true (set
// in CI so a missing service cannot turn the suite silently green).
//
// MySQL/MariaDB is expected at 127.0.0.1:3306 as root with an empty password;
// REVREPL_MYSQL_ADDR, REVREPL_MYSQL_USER and REVREPL_MYSQL_PASSWORD override
// those defaults.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// RequireServicesEnv names the variable that turns a missing service from a
// skip into a failure.
const RequireServicesEnv = "REVREPL_REQUIRE_SERVICES"

// MySQLParams are the DSN parameters every test connection uses: client-side
// interpolation (as the writer uses), raw DATETIME text, UTF-8 and a UTC
// session so TIMESTAMP columns store exactly what was bound, and found rows
// as row counts (the writer's unique-key path relies on it).
const MySQLParams = "interpolateParams=true&parseTime=false&charset=utf8mb4&loc=UTC&time_zone=%27%2B00%3A00%27&clientFoundRows=true"

// Unavailable skips t, or fails it when REVREPL_REQUIRE_SERVICES=1 or
// CI=true.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if req, why := required(); req {
		t.Fatalf("%s (required because %s)", msg, why)
	}
	t.Skipf("SKIPPED, SERVICE MISSING: %s (set %s=1 to make this a failure)", msg, RequireServicesEnv)
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// MySQL creates a uniquely named database, drops it when t ends, and returns
// a pool connected to it together with that pool's DSN (for code under test
// that opens its own connections).
func MySQL(t testing.TB) (*sql.DB, string) {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = envOr("REVREPL_MYSQL_ADDR", "127.0.0.1:3306")
	cfg.User = envOr("REVREPL_MYSQL_USER", "root")
	cfg.Passwd = envOr("REVREPL_MYSQL_PASSWORD", "")
	cfg.Timeout = 5 * time.Second
	serverDSN := cfg.FormatDSN()
	serverDSN += sep(serverDSN) + MySQLParams

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("mysql", serverDSN)
	if err != nil {
		t.Fatalf("testenv: bad MySQL DSN: %v", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		Unavailable(t, "MariaDB not reachable at %s: %v", cfg.Addr, err)
	}

	name := "revrepl_test_" + randomSuffix(t)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		admin.Close()
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
		admin.Close()
	})

	cfg.DBName = name
	dsn := cfg.FormatDSN()
	dsn += sep(dsn) + MySQLParams
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("testenv: open %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the drop: cleanups are LIFO
	return db, dsn
}

// sep picks the separator for appending parameters to a formatted DSN: the
// database name cannot contain '/', so only a '?' after the last '/' counts.
func sep(dsn string) string {
	for i := len(dsn) - 1; i >= 0 && dsn[i] != '/'; i-- {
		if dsn[i] == '?' {
			return "&"
		}
	}
	return "?"
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: random: %v", err)
	}
	return hex.EncodeToString(b)
}
