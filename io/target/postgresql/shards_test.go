package postgresql

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestParseShards(t *testing.T) {
	tests := []struct {
		name, file string
		wantPort   string
		wantNS     string
		wantErr    []string // substrings, all required
	}{
		{name: "defaults", file: `{"shardConfigs":[{"host":"h","user":"u","password":"p","dbName":"d"}]}`, wantPort: "5432", wantNS: ""},
		{name: "legacy array, namespace", file: `[{"logicalShardId":"a","host":"h","port":"6432","user":"u","password":"p","dbName":"d","namespace":"app"}]`, wantPort: "6432", wantNS: "app"},
		{name: "properties", file: `{"shardConfigs":[{"host":"h","user":"u","password":"p","dbName":"d","connectionProperties":"sslmode=disable;ApplicationName=x"}]}`, wantPort: "5432"},
		{name: "unknown property names shard and property", file: `{"shardConfigs":[{"logicalShardId":"s1","host":"h","user":"u","password":"p","dbName":"d","connectionProperties":"useSSL=false"}]}`,
			wantErr: []string{`shard "s1"`, `unknown property "useSSL"`, "sslmode"}},
		{name: "bad port and missing user, together", file: `{"shardConfigs":[{"logicalShardId":"a","host":"h","port":"x","password":"p","dbName":"d"}]}`,
			wantErr: []string{`port "x"`, "user is missing"}},
		{name: "JSON error has line and column", file: "{\"shardConfigs\":[\n{\"host\":\"h\",\n\"port\": [}]}", wantErr: []string{"line 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shards, err := ParseShards([]byte(tt.file))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(shards[0].Port) != tt.wantPort || shards[0].Namespace != tt.wantNS {
				t.Errorf("port %q namespace %q, want %q %q", shards[0].Port, shards[0].Namespace, tt.wantPort, tt.wantNS)
			}
		})
	}
}

func TestConnectionProperties(t *testing.T) {
	base := Shard{LogicalShardID: "s1", Host: "db.example", Port: "5433", User: "u'x", Password: "p w'\\", DBName: "app"}
	tests := []struct {
		props   string
		check   func(c conf) string
		wantErr string
	}{
		{props: "", check: func(c conf) string {
			p := c.pgx
			if p.Host != "db.example" || p.Port != 5433 || p.User != "u'x" || p.Password != "p w'\\" || p.Database != "app" ||
				p.ConnectTimeout != 10*time.Second || c.ioTimeout != 5*time.Minute || p.TLSConfig == nil || len(p.Fallbacks) != 1 ||
				p.RuntimeParams["application_name"] != "revrepl" || p.RuntimeParams["TimeZone"] != "UTC" || c.ns != "public" {
				return "defaults (sslmode=prefer: TLS with a plaintext fallback)"
			}
			return ""
		}},
		{props: "sslmode=disable", check: func(c conf) string {
			if c.pgx.TLSConfig != nil {
				return "TLS on"
			}
			return ""
		}},
		{props: "sslmode=require", check: func(c conf) string {
			if c.pgx.TLSConfig == nil || len(c.pgx.Fallbacks) != 0 {
				return "require falls back to plaintext"
			}
			return ""
		}},
		{props: "ssl=true", check: func(c conf) string {
			if c.pgx.TLSConfig == nil || c.pgx.TLSConfig.InsecureSkipVerify || c.pgx.TLSConfig.ServerName != "db.example" {
				return "ssl=true should verify the certificate and host (verify-full)"
			}
			return ""
		}},
		{props: "sslmode=disable\nssl=true", check: func(c conf) string {
			if c.pgx.TLSConfig != nil {
				return "sslmode should win over ssl"
			}
			return ""
		}},
		{props: "connectTimeout=3&socketTimeout=20;ApplicationName=my app", check: func(c conf) string {
			if c.pgx.ConnectTimeout != 3*time.Second || c.ioTimeout != 20*time.Second || c.pgx.RuntimeParams["application_name"] != "my app" {
				return "timeouts in seconds, application name"
			}
			return ""
		}},
		{props: "connectTimeout=0\nprepareThreshold=5\n# comment\nreWriteBatchedInserts=true", check: func(c conf) string {
			if c.pgx.ConnectTimeout != 10*time.Second {
				return "0 keeps the default"
			}
			if c.pgx.DefaultQueryExecMode != pgx.QueryExecModeCacheStatement || c.pgx.StatementCacheCapacity != statementCacheSize {
				return "prepareThreshold=5 keeps the statement cache"
			}
			return ""
		}},
		// pgJDBC's setting for PgBouncer in transaction mode: no statement
		// is prepared to be kept, and the pool is not the cached one's.
		{props: "prepareThreshold=0", check: func(c conf) string {
			if c.pgx.DefaultQueryExecMode != pgx.QueryExecModeExec || c.pgx.RuntimeParams[prepareThresholdKey] != "" {
				return "prepareThreshold=0 parses each statement where it runs, and is not sent to the server"
			}
			if d, _ := config(base); d.key == c.key || d.pgx.DefaultQueryExecMode != pgx.QueryExecModeCacheStatement {
				return "the default caches statements, in a pool of its own"
			}
			return ""
		}},
		{props: "prepareThreshold=never", wantErr: `prepareThreshold "never" is not a whole number`},
		{props: "sslmode=verify-fulll", wantErr: `sslmode "verify-fulll" is not`},
		{props: "sslMode=REQUIRE", check: func(c conf) string { return "" }},
		{props: "ssl=maybe", wantErr: `ssl "maybe"`},
		{props: "connectTimeout=5s", wantErr: "not a number of seconds"},
		{props: "currentSchema=app", wantErr: "namespace field"},
		{props: "password=x", wantErr: "password or secretManagerUri"},
		{props: "sslfactory=org.postgresql.ssl.NonValidatingFactory", wantErr: "sslmode"},
		{props: "sslrootcert=", wantErr: "sslrootcert is empty"},
		{props: "noequals", wantErr: "not key=value"},
		{props: "tcpKeepAlive=true;socketFactory=x", wantErr: `unknown property "socketFactory"`},
	}
	for _, tt := range tests {
		t.Run(tt.props, func(t *testing.T) {
			s := base
			s.ConnectionProperties = tt.props
			c, err := config(s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `shard "s1"`) {
					t.Fatalf("err = %v, want one naming the shard and containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestConfigRefusesBadZoneAndAlgorithms(t *testing.T) {
	s := Shard{LogicalShardID: "s1", Host: "h", Port: "5432", User: "u", Password: "p", DBName: "d", TimeZone: "Europe/Paris"}
	if _, err := config(s); err == nil || !strings.Contains(err.Error(), "not an offset") {
		t.Errorf("time zone: %v", err)
	}
	s.TimeZone, s.DisabledAlgorithms = "+01:00", "TLSv1.2, TLSv1.3"
	if _, err := config(s); err == nil || !strings.Contains(err.Error(), "disabledAlgorithms") {
		t.Errorf("disabledAlgorithms: %v", err)
	}
	s.DisabledAlgorithms = "TLSv1.2"
	c, err := config(s)
	if err != nil || c.pgx.TLSConfig == nil || c.pgx.TLSConfig.MinVersion == 0 {
		t.Errorf("disabledAlgorithms=TLSv1.2 should raise the minimum version: %v", err)
	}
}
