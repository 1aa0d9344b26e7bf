package mysql

import (
	"strings"
	"testing"

	driver "github.com/go-sql-driver/mysql"
)

// Connector/J never turns TLS off for requireSSL=false (it is the
// default) and reads yes/no as booleans; each of these asks for a
// verified connection in Connector/J 8 (sslMode=VERIFY_CA), and none may
// connect in plaintext or without checking the certificate.
func TestJDBCLegacyPropertiesKeepVerification(t *testing.T) {
	for _, props := range []string{
		"useSSL=true&verifyServerCertificate=true&requireSSL=false",
		"verifyServerCertificate=true&requireSSL=false",
		"requireSSL=false&verifyServerCertificate=true&useSSL=true",
		"requireSSL=true&verifyServerCertificate=true&requireSSL=false",
		"useSSL=yes&verifyServerCertificate=yes",
		"verifyServerCertificate=yes",
		"useSSL=TRUE&verifyServerCertificate=Yes&requireSSL=NO",
	} {
		c := legacyConfig(t, props)
		switch {
		case c.TLS == nil:
			t.Errorf("%q: connects WITHOUT TLS (verification was asked for); dsn tls=%q", props, c.TLSConfig)
		case c.TLS.InsecureSkipVerify && c.TLS.VerifyConnection == nil:
			t.Errorf("%q: certificate not checked", props)
		}
	}
}

// The legacy properties read together, whatever their order.
func TestJDBCLegacyPropertiesModes(t *testing.T) {
	tests := []struct {
		props string
		want  string // "plain" (no TLS), "off" (tls=false), "skip-verify"
	}{
		{"requireSSL=false", "plain"},
		{"useSSL=true&requireSSL=false", "skip-verify"},
		{"requireSSL=false&useSSL=true", "skip-verify"},
		{"requireSSL=true&requireSSL=false", "plain"},
		{"requireSSL=yes", "skip-verify"},
		{"useSSL=no&requireSSL=true", "off"},
		{"requireSSL=true&verifyServerCertificate=true&useSSL=false", "off"},
		{"useSSL=False", "off"},
		{"useSSL=NO", "off"},
	}
	for _, tt := range tests {
		c := legacyConfig(t, tt.props)
		var got string
		switch {
		case c.TLS == nil && c.TLSConfig == "":
			got = "plain"
		case c.TLS == nil && c.TLSConfig == "false":
			got = "off"
		case c.TLS != nil && c.TLS.InsecureSkipVerify && c.TLS.VerifyConnection == nil:
			got = "skip-verify"
		default:
			got = c.TLSConfig
		}
		if got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.props, got, tt.want)
		}
	}
}

// A boolean that is neither true/false nor yes/no is refused, naming
// the shard and the property, instead of being read as false.
func TestJDBCBooleanRefused(t *testing.T) {
	for _, props := range []string{"useSSL=on", "requireSSL=1", "verifyServerCertificate=maybe", "sslMode=VERIFY_IDENTITY&useSSL=enabled", "allowFallbackToPlaintext=si"} {
		key, val, _ := strings.Cut(props[strings.LastIndex(props, "&")+1:], "=")
		_, err := DSN(legacyShard(props))
		if err == nil {
			t.Errorf("%q: accepted", props)
			continue
		}
		for _, want := range []string{`shard "s1"`, key, `"` + val + `"`, "not a boolean"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: error %q does not say %q", props, err, want)
			}
		}
	}
}

// allowFallbackToPlaintext=true next to a mode that requires TLS would
// let a server (or a man in the middle) that does not offer TLS get a
// plaintext connection: it is refused at launch.
func TestNoPlaintextFallbackWhenVerifying(t *testing.T) {
	for _, props := range []string{
		"sslMode=VERIFY_IDENTITY&allowFallbackToPlaintext=true",
		"allowFallbackToPlaintext=yes&sslMode=REQUIRED",
		"sslMode=VERIFY_CA&allowFallbackToPlaintext=TRUE",
		"useSSL=true&allowFallbackToPlaintext=true",
		"verifyServerCertificate=true&allowFallbackToPlaintext=true",
		"tls=true&allowFallbackToPlaintext=true",
	} {
		_, err := DSN(legacyShard(props))
		if err == nil || !strings.Contains(err.Error(), "allowFallbackToPlaintext=true cannot be combined") || !strings.Contains(err.Error(), `shard "s1"`) {
			t.Errorf("%q: want a refusal naming the shard and allowFallbackToPlaintext, got %v", props, err)
		}
	}
	// Modes that allow plaintext anyway keep the property.
	for props, want := range map[string]bool{
		"sslMode=PREFERRED&allowFallbackToPlaintext=true":        true,
		"sslMode=VERIFY_IDENTITY&allowFallbackToPlaintext=false": false,
		"sslMode=REQUIRED&allowFallbackToPlaintext=no":           false,
	} {
		if c := legacyConfig(t, props); c.AllowFallbackToPlaintext != want {
			t.Errorf("%q: AllowFallbackToPlaintext=%v, want %v", props, c.AllowFallbackToPlaintext, want)
		}
	}
}

func legacyShard(props string) Shard {
	return Shard{LogicalShardID: "s1", Host: "db.example.com", Port: "3306", User: "u", Password: "p", DBName: "app", ConnectionProperties: props}
}

func legacyConfig(t *testing.T, props string) *driver.Config {
	t.Helper()
	dsn, err := DSN(legacyShard(props))
	if err != nil {
		t.Fatalf("%q: %v", props, err)
	}
	c, err := driver.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
