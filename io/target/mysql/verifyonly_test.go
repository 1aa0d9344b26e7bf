package mysql

import (
	"testing"

	driver "github.com/go-sql-driver/mysql"
)

// TestVerifyServerCertificateAloneUsesTLS: Connector/J 8 (the Java
// template's driver) defaults useSSL to true, so verifyServerCertificate=true
// on its own asks for a verified TLS connection (VERIFY_CA). Without a CA
// file that also checks the host name (system roots).
func TestVerifyServerCertificateAloneUsesTLS(t *testing.T) {
	for _, props := range []string{
		"verifyServerCertificate=true",
		"verifyServerCertificate=true\ntrustCertificateKeyStorePassword=changeit",
	} {
		s := Shard{LogicalShardID: "s1", Host: "10.0.0.5", Port: "3306", User: "u", Password: "p", DBName: "app", ConnectionProperties: props}
		dsn, err := DSN(s)
		if err != nil {
			t.Fatalf("%q: %v", props, err)
		}
		c, err := driver.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.TLS == nil:
			t.Errorf("%q: connects without TLS (certificate verification was asked for)", props)
		case c.TLS.InsecureSkipVerify || c.TLS.ServerName != "10.0.0.5":
			t.Errorf("%q: certificate or host name not checked: %+v", props, c.TLS)
		}
	}
}
