package mysql

import (
	"database/sql"
	"fmt"
	"net"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

// DSN builds the driver configuration of a shard. interpolateParams makes a
// statement with arguments one round trip instead of prepare+execute+close;
// the driver escapes every argument itself, so values are still never part
// of the SQL text we build.
func DSN(s Shard) (string, error) {
	c := driver.NewConfig()
	c.User = s.User
	c.Passwd = s.Password
	c.Net = "tcp"
	c.Addr = net.JoinHostPort(s.Host, string(s.Port))
	c.DBName = s.DBName
	c.InterpolateParams = true
	c.ParseTime = false
	c.Loc = time.UTC
	c.Timeout = 10 * time.Second
	c.ReadTimeout = 5 * time.Minute
	c.WriteTimeout = 5 * time.Minute
	c.Params = map[string]string{
		"charset": "utf8mb4",
		// Values are bound in UTC-free text form; keep the session from
		// converting TIMESTAMP columns with a server default zone.
		"time_zone": "'+00:00'",
	}
	for _, kv := range splitProperties(s.ConnectionProperties) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", fmt.Errorf("shard %q: connectionProperties entry %q is not key=value", s.LogicalShardID, kv)
		}
		c.Params[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return c.FormatDSN(), nil
}

func splitProperties(p string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(p, func(r rune) bool { return r == '\n' || r == ';' || r == '&' }) {
		if f = strings.TrimSpace(f); f != "" && !strings.HasPrefix(f, "#") {
			out = append(out, f)
		}
	}
	return out
}

// Open opens a pool of at most poolSize connections to the shard.
func Open(s Shard, poolSize int) (*sql.DB, error) {
	dsn, err := DSN(s)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("shard %q: %w", s.LogicalShardID, err)
	}
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}
