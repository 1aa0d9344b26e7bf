package mysql

import (
	"context"
	"database/sql"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/extrafiles"
)

// TestTLSWithStagedCA runs a private MariaDB that accepts TLS connections
// only, with a certificate from a CA the test made (as Cloud SQL or a
// self-managed server with its own CA). The CA certificate is staged from
// (fake) Cloud Storage the way extraFilesToStage stages it, and the shard
// names it under /extra_files in connectionProperties; the connection
// code is the template's own (CheckShard at launch, Acquire in the writer).
func TestTLSWithStagedCA(t *testing.T) {
	pki := newTestPKI(t, net.ParseIP("127.0.0.1"))
	m := testenv.PrivateMariaDB(t, "--ssl-ca="+pki.CAFile, "--ssl-cert="+pki.CertFile, "--ssl-key="+pki.KeyFile)
	admin, _ := m.Database(t, "tlsapp")
	for _, q := range []string{
		"CREATE TABLE tlsapp.t (id INT PRIMARY KEY)",
		"CREATE USER 'tlsuser'@'%' IDENTIFIED BY 'pw' REQUIRE SSL",
		"GRANT ALL ON tlsapp.* TO 'tlsuser'@'%'",
		// From now on the server refuses unencrypted TCP logins, root's
		// included; the test's admin connection stays open.
		"SET GLOBAL require_secure_transport = ON",
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ca, err := os.ReadFile(pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	testenv.FakeGCS(t, fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "certs", Name: "shards/ca.pem"}, Content: ca})
	t.Setenv(extrafiles.DirEnv, t.TempDir())
	if _, err := extrafiles.Stage(context.Background(), "gs://certs/shards/ca.pem"); err != nil {
		t.Fatal(err)
	}

	_, port, _ := net.SplitHostPort(m.Addr)
	shard := func(host, props, disabled string) Shard {
		return Shard{LogicalShardID: "tls", Host: host, Port: Port(port), User: "tlsuser", Password: "pw", DBName: "tlsapp",
			ConnectionProperties: props, DisabledAlgorithms: disabled}
	}
	const withCA = "sslMode=VERIFY_IDENTITY;sslrootcert=/extra_files/ca.pem"
	tests := []struct {
		name    string
		shard   Shard
		wantErr string // "" when the connection must work
		version string // the TLS version the session must use, when set
	}{
		{name: "verify identity with the staged CA", shard: shard("127.0.0.1", withCA, "")},
		{name: "Connector/J form", shard: shard("127.0.0.1", "sslMode=VERIFY_IDENTITY&trustCertificateKeyStoreUrl=file:/extra_files/ca.pem", "")},
		{name: "disabledAlgorithms applied", shard: shard("127.0.0.1", withCA, "SSLv3, TLSv1, TLSv1.1, TLSv1.3, RC4"), version: "TLSv1.2"},
		{name: "verify identity without the CA", shard: shard("127.0.0.1", "sslMode=VERIFY_IDENTITY", ""), wantErr: "certificate signed by unknown authority"},
		{name: "a host name the certificate does not name", shard: shard("localhost", withCA, ""), wantErr: "wanted to match localhost"},
		{name: "VERIFY_CA does not check the name", shard: shard("localhost", "sslMode=VERIFY_CA;sslrootcert=/extra_files/ca.pem", "")},
		{name: "VERIFY_CA without the CA", shard: shard("127.0.0.1", "sslMode=VERIFY_CA", ""), wantErr: "certificate signed by unknown authority"},
		{name: "no TLS is refused by the server", shard: shard("127.0.0.1", "sslMode=DISABLED", ""), wantErr: "Access denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := CheckShard(ctx, tt.shard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CheckShard: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckShard: %v", err)
			}
			db, release, err := Acquire(tt.shard, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			var name, version string
			if err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_version'").Scan(&name, &version); err != nil && err != sql.ErrNoRows {
				t.Fatal(err)
			}
			if version == "" {
				t.Fatal("the writer's session is not encrypted")
			}
			if tt.version != "" && version != tt.version {
				t.Errorf("session uses %s, want %s", version, tt.version)
			}
		})
	}
}
