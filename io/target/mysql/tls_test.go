package mysql

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	driver "github.com/go-sql-driver/mysql"
)

func TestTLSConnectionProperties(t *testing.T) {
	pki := newTestPKI(t, net.ParseIP("10.0.0.5"))
	notPEM := filepath.Join(t.TempDir(), "truststore.jks")
	if err := os.WriteFile(notPEM, []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2}, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, props, disabled string
		check                 func(*driver.Config) string
		wantErr               string
	}{
		{name: "sslrootcert with verify-full checks chain and host", props: "sslmode=verify-full;sslrootcert=" + pki.CAFile, check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.RootCAs != nil && !c.TLS.InsecureSkipVerify && c.TLS.ServerName == "10.0.0.5", fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "Connector/J trust store URL with VERIFY_IDENTITY", props: "sslMode=VERIFY_IDENTITY&trustCertificateKeyStoreUrl=file:" + pki.CAFile, check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.RootCAs != nil && c.TLS.ServerName == "10.0.0.5", fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "file:/// URL", props: "sslMode=VERIFY_CA&trustCertificateKeyStoreUrl=file://" + pki.CAFile, check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.VerifyConnection != nil && c.TLS.InsecureSkipVerify, "want VERIFY_CA")
		}},
		{name: "a CA alone means VERIFY_CA", props: "serverSslCert=" + pki.CAFile, check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.VerifyConnection != nil, "want the chain checked")
		}},
		{name: "sslMode wins over useSSL in any order", props: "sslMode=VERIFY_IDENTITY;useSSL=true", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && !c.TLS.InsecureSkipVerify, "useSSL=true downgraded VERIFY_IDENTITY")
		}},
		{name: "disabledAlgorithms on an unverified connection", props: "sslMode=REQUIRED", disabled: "TLSv1.3, RC4", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.InsecureSkipVerify && c.TLS.MaxVersion == tls.VersionTLS12, fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "PREFERRED with a policy may still fall back to plaintext", props: "sslMode=PREFERRED", disabled: "TLSv1.2", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.AllowFallbackToPlaintext && c.TLS.MinVersion == tls.VersionTLS13, fmt.Sprintf("%+v", c))
		}},
		{name: "disabledAlgorithms without TLS changes nothing", disabled: "TLSv1.2", check: func(c *driver.Config) string {
			return cond(c.TLS == nil, "TLS switched on")
		}},
		{name: "VERIFY_CA without a CA file checks the host name (system roots)", props: "sslMode=VERIFY_CA", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && !c.TLS.InsecureSkipVerify && c.TLS.ServerName == "10.0.0.5" && c.TLS.RootCAs == nil, fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "VERIFY_CA without a CA file, with a policy, still checks the host name", props: "sslMode=VERIFY_CA", disabled: "TLSv1.3", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && !c.TLS.InsecureSkipVerify && c.TLS.ServerName == "10.0.0.5" && c.TLS.MaxVersion == tls.VersionTLS12, fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "verifyServerCertificate alone with a CA checks the chain only", props: "verifyServerCertificate=true&trustCertificateKeyStoreUrl=file:" + pki.CAFile, check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.InsecureSkipVerify && c.TLS.VerifyConnection != nil, "want VERIFY_CA")
		}},
		{name: "verifyServerCertificate with useSSL=false stays plaintext", props: "verifyServerCertificate=true;useSSL=false", check: func(c *driver.Config) string {
			return cond(c.TLS == nil, "TLS on")
		}},
		{name: "sslMode wins over verifyServerCertificate", props: "verifyServerCertificate=true;sslMode=REQUIRED", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.InsecureSkipVerify && c.TLS.VerifyConnection == nil, fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "verifyServerCertificate=false alone changes nothing", props: "verifyServerCertificate=false", check: func(c *driver.Config) string {
			return cond(c.TLS == nil, "TLS on")
		}},
		{name: "enabledTLSProtocols TLSv1.2 only", props: "sslMode=VERIFY_IDENTITY;enabledTLSProtocols=TLSv1,TLSv1.1,TLSv1.2", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.MaxVersion == tls.VersionTLS12 && c.TLS.MinVersion == 0 && !c.TLS.InsecureSkipVerify, fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "enabledTLSProtocols TLSv1.3 only", props: "sslMode=REQUIRED&enabledTLSProtocols=TLSv1.3", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.MinVersion == tls.VersionTLS13, fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "enabledTLSProtocols with both versions is the default", props: "sslMode=VERIFY_IDENTITY;enabledTLSProtocols=TLSv1.2, TLSv1.3", check: func(c *driver.Config) string {
			return cond(c.TLS != nil && c.TLS.MinVersion == 0 && c.TLS.MaxVersion == 0, fmt.Sprintf("%+v", c.TLS))
		}},
		{name: "enabledTLSProtocols unknown version", props: "sslMode=REQUIRED;enabledTLSProtocols=TLSv1.2,SSLv3", wantErr: `enabledTLSProtocols "TLSv1.2,SSLv3": "SSLv3" is not a TLS version`},
		{name: "enabledTLSProtocols below TLS 1.2 only", props: "sslMode=REQUIRED;enabledTLSProtocols=TLSv1,TLSv1.1", wantErr: "TLSv1.2 or TLSv1.3 only"},
		{name: "enabledTLSProtocols against disabledAlgorithms", props: "sslMode=REQUIRED;enabledTLSProtocols=TLSv1.3", disabled: "TLSv1.3", wantErr: "leave no TLS version"},
		{name: "CA with a mode that never checks", props: "sslMode=REQUIRED;sslrootcert=" + pki.CAFile, wantErr: "sslrootcert is given, but sslMode makes the connection REQUIRED"},
		{name: "CA not staged", props: "sslrootcert=/extra_files/missing.pem", wantErr: "listed in extraFilesToStage"},
		{name: "keystore instead of PEM", props: "trustCertificateKeyStoreUrl=file:" + notPEM, wantErr: "Java keystores (JKS, PKCS12) are not read"},
		{name: "trust store not a file URL", props: "trustCertificateKeyStoreUrl=https://example.com/ca.pem", wantErr: "is not a file: URL"},
		{name: "bad sslmode", props: "sslmode=always", wantErr: `sslmode "always" is not DISABLED`},
		{name: "unknown disabled algorithm", props: "sslMode=REQUIRED", disabled: "SSLv3, Blowfish", wantErr: `disabledAlgorithms: "Blowfish" is not understood`},
	}
	base := Shard{LogicalShardID: "s1", Host: "10.0.0.5", Port: "3306", User: "u", Password: "p", DBName: "app"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.ConnectionProperties, s.DisabledAlgorithms = tt.props, tt.disabled
			checkDSN(t, s, tt.wantErr, tt.check)
		})
	}
}
