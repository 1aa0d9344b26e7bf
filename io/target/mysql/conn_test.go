package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

func TestAcquireSharesOnePoolPerShard(t *testing.T) {
	s := Shard{LogicalShardID: "a", Host: "127.0.0.1", Port: "1", User: "u", Password: "p", DBName: "d"}
	db1, rel1, err := Acquire(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	db2, rel2, _ := Acquire(s, 3)
	other := s
	other.DBName = "e"
	db3, rel3, _ := Acquire(other, 3)
	if db1 != db2 || db1 == db3 {
		t.Fatal("the same shard should share a pool, another shard should not")
	}
	rel1()
	rel1() // a second release of the same handle is a no-op
	if closed(db1) {
		t.Fatal("the pool was closed while still acquired")
	}
	rel2()
	rel3()
	db4, rel4, _ := Acquire(s, 3)
	defer rel4()
	if db4 == db1 || !closed(db1) {
		t.Error("after the last release the pool should be closed and a new one opened")
	}
}

// closed tells a closed pool from an open one that cannot connect (port 1).
func closed(db *sql.DB) bool {
	c, err := db.Conn(context.Background())
	if err == nil {
		c.Close()
	}
	return err != nil && strings.Contains(err.Error(), "database is closed")
}

func TestDSN(t *testing.T) {
	base := Shard{LogicalShardID: "s1", Host: "10.0.0.5", Port: "3307", User: "u", Password: "p@ss/w:rd", DBName: "app"}
	tests := []struct {
		name, props string
		tz          string                      // Shard.TimeZone
		check       func(*driver.Config) string // "" when fine
		wantErr     string
	}{
		{name: "defaults", check: func(c *driver.Config) string {
			if !c.InterpolateParams || c.ParseTime || c.Timeout != 10*time.Second || c.ReadTimeout != 5*time.Minute ||
				c.Params["time_zone"] != "'+00:00'" || c.Addr != "10.0.0.5:3307" || c.Passwd != "p@ss/w:rd" || c.DBName != "app" || c.TLS != nil {
				return fmt.Sprintf("%+v", c)
			}
			return cond(strings.Contains(c.FormatDSN(), "charset=utf8mb4"), "charset is not utf8mb4")
		}},
		{name: "jdbc useSSL=false", props: "useSSL=false", check: func(c *driver.Config) string {
			return cond(c.TLS == nil, "TLS on")
		}},
		{name: "jdbc useSSL=true encrypts without verifying", props: "useSSL=true", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.InsecureSkipVerify, "want TLS without verification")
		}},
		{name: "jdbc useSSL with verification and no CA file checks chain and host (VERIFY_CA on system roots)", props: "useSSL=true\nverifyServerCertificate=true", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && !c.TLS.InsecureSkipVerify && c.TLS.ServerName == "10.0.0.5", "want TLS verified with the host name")
		}},
		{name: "jdbc sslMode", props: "sslMode=verify_identity", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && !c.TLS.InsecureSkipVerify && c.TLS.ServerName == "10.0.0.5", "want verified TLS for the host")
		}},
		{name: "jdbc timeouts in ms", props: "connectTimeout=2500;socketTimeout=60000", check: func(c *driver.Config) string {
			return cond(c.Timeout == 2500*time.Millisecond && c.ReadTimeout == time.Minute && c.WriteTimeout == time.Minute, fmt.Sprint(c.Timeout, c.ReadTimeout))
		}},
		{name: "strict session by default", check: func(c *driver.Config) string {
			return cond(c.Params["sql_mode"] == strictSQLMode, fmt.Sprint(c.Params))
		}},
		{name: "jdbc tuning dropped, comments and blanks skipped", props: "# pool tuning\ncachePrepStmts=true\n\nrewriteBatchedStatements = true", check: func(c *driver.Config) string {
			return cond(len(c.Params) == 2 && c.Params["sql_mode"] != "", fmt.Sprint(c.Params))
		}},
		{name: "go driver parameter", props: "tls=preferred&readTimeout=30s", check: func(c *driver.Config) string {
			return cond(c.ReadTimeout == 30*time.Second && c.TLS != nil, fmt.Sprint(c.ReadTimeout))
		}},
		{name: "session variable", props: "sql_mode='STRICT_ALL_TABLES'", check: func(c *driver.Config) string {
			return cond(c.Params["sql_mode"] == "'STRICT_ALL_TABLES'", fmt.Sprint(c.Params))
		}},
		{name: "session in the source zone", tz: "+05:30", check: func(c *driver.Config) string {
			return cond(c.Params["time_zone"] == "'+05:30'", fmt.Sprint(c.Params))
		}},
		{name: "zone not an offset", tz: "Europe/Paris", wantErr: `shard "s1": session time zone "Europe/Paris" is not an offset +HH:MM`},
		{name: "not key=value", props: "useSSL", wantErr: `shard "s1": connectionProperties entry "useSSL" is not key=value`},
		{name: "fixed setting", props: "parseTime=true", wantErr: `shard "s1": connectionProperties entry "parseTime=true" cannot be set: values are converted by the template`},
		{name: "bad sslMode", props: "sslMode=ON", wantErr: `sslMode "ON" is not DISABLED`},
		{name: "bad jdbc timeout", props: "connectTimeout=5s", wantErr: `connectTimeout "5s" is not a number of milliseconds`},
		{name: "bad driver value", props: "readTimeout=soon", wantErr: `shard "s1": connectionProperties: time: invalid duration "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.ConnectionProperties = tt.props
			s.TimeZone = tt.tz
			checkDSN(t, s, tt.wantErr, tt.check)
		})
	}
}

func cond(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}

func TestWriterDSNCapsIOTimeouts(t *testing.T) {
	base := Shard{LogicalShardID: "s1", Host: "10.0.0.5", Port: "3307", User: "u", Password: "p", DBName: "app"}
	tests := []struct {
		props       string
		read, write time.Duration
	}{
		{"", WriterIOTimeout, WriterIOTimeout},
		{"socketTimeout=0", WriterIOTimeout, WriterIOTimeout},                // JDBC's "none": the cap
		{"socketTimeout=600000", WriterIOTimeout, WriterIOTimeout},           // JDBC's 10 minutes: capped
		{"socketTimeout=2000", 2 * time.Second, 2 * time.Second},             // lower: kept
		{"readTimeout=1h&writeTimeout=3s", WriterIOTimeout, 3 * time.Second}, // the Go driver's names
	}
	for _, tt := range tests {
		s := base
		s.ConnectionProperties = tt.props
		dsn, err := writerDSN(s)
		if err != nil {
			t.Fatalf("%q: %v", tt.props, err)
		}
		c, err := driver.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if c.ReadTimeout != tt.read || c.WriteTimeout != tt.write {
			t.Errorf("%q: readTimeout %v, writeTimeout %v; want %v, %v", tt.props, c.ReadTimeout, c.WriteTimeout, tt.read, tt.write)
		}
		if c.Params["sql_mode"] != strictSQLMode {
			t.Errorf("%q: the other parameters changed: %v", tt.props, c.Params)
		}
	}
}

// A shard that accepts connections but never answers (a frozen server:
// the kernel still completes TCP handshakes) fails a writer pool's
// operation that has no context deadline, as database/sql's commit has
// none, after WriterIOTimeout instead of holding it for minutes.
func TestWriterPoolGivesUpOnAFrozenServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, never written to
		}
	}()
	defer func() {
		for len(accepted) > 0 {
			(<-accepted).Close()
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	db, release, err := Acquire(Shard{LogicalShardID: "frozen", Host: "127.0.0.1", Port: Port(port), User: "u", Password: "p", DBName: "d"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	done := make(chan error, 1)
	go func() { done <- db.PingContext(context.Background()) }()
	const hang = 2 * time.Minute // far beyond the cap: detects a missing one
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("ping of a server that never answers succeeded")
		}
		t.Logf("gave up: %v", err)
	case <-time.After(hang):
		t.Fatalf("ping of a frozen server still waiting after %v", hang)
	}
	if len(accepted) == 0 {
		t.Error("the fake server accepted no connection: the test proves nothing")
	}
}

// checkDSN builds the DSN of s and checks it: the error contains wantErr
// when that is set, or else check finds nothing wrong with the parsed DSN.
func checkDSN(t *testing.T, s Shard, wantErr string, check func(*driver.Config) string) {
	t.Helper()
	dsn, err := DSN(s)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error %v, want one containing %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := driver.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if msg := check(c); msg != "" {
		t.Errorf("%s: %s", dsn, msg)
	}
}
