package mysql

import (
	"crypto/tls"
	"net"
	"os"
	osexec "os/exec"
	"testing"

	driver "github.com/go-sql-driver/mysql"
)

// childEnv marks the process TestVerifyCAWithoutCAFileChecksHostName runs
// its checks in; its value is the test PKI's folder of PEM files.
const childEnv = "REVREPL_TEST_SYSTEM_ROOTS_CHILD"

// TestVerifyCAWithoutCAFileChecksHostName: sslMode=VERIFY_CA (or
// useSSL=true&verifyServerCertificate=true, or verifyServerCertificate=true
// alone) without a CA file verifies the server against the system's roots,
// which sign certificates for any name: the host name must be checked
// too, or a certificate a public CA issued to another name (an attacker's)
// would be accepted for the shard.
//
// The system roots are a test CA given by SSL_CERT_FILE. Go loads the
// system roots once per process, so the checks run in a fresh process
// (this test binary again), whatever ran before in this one.
func TestVerifyCAWithoutCAFileChecksHostName(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		verifyCAWithSystemRoots(t)
		return
	}
	// A "public" CA that signed a certificate for someone else (10.9.9.9).
	pki := newTestPKI(t, net.ParseIP("10.9.9.9"))
	cmd := osexec.Command(os.Args[0], "-test.run=^TestVerifyCAWithoutCAFileChecksHostName$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(),
		childEnv+"=1",
		"SSL_CERT_FILE="+pki.CAFile,
		"SSL_CERT_DIR="+t.TempDir(),
		"REVREPL_TEST_CERT="+pki.CertFile,
		"REVREPL_TEST_KEY="+pki.KeyFile,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("checks in a fresh process:\n%s", out)
	if err != nil {
		t.Fatalf("the checks failed: %v", err)
	}
}

// verifyCAWithSystemRoots runs in the child process: a TLS server with
// the certificate for 10.9.9.9 listens on 127.0.0.1, and each spelling of
// VERIFY_CA for a shard at 127.0.0.1 must refuse it.
func verifyCAWithSystemRoots(t *testing.T) {
	cert, err := tls.LoadX509KeyPair(os.Getenv("REVREPL_TEST_CERT"), os.Getenv("REVREPL_TEST_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	dial := func(props string) error {
		s := Shard{LogicalShardID: "s1", Host: "127.0.0.1", Port: "3306", User: "u", Password: "p", DBName: "app", ConnectionProperties: props}
		dsn, err := DSN(s)
		if err != nil {
			t.Fatalf("%q: %v", props, err)
		}
		c, err := driver.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if c.TLS == nil {
			t.Fatalf("%q: no TLS", props)
		}
		conn, err := tls.Dial("tcp", ln.Addr().String(), c.TLS.Clone())
		if err == nil {
			conn.Close()
		}
		return err
	}
	// With the CA given as a file (a private CA), VERIFY_CA checks the
	// chain only: the certificate passes whatever name it holds.
	if err := dial("sslMode=VERIFY_CA;sslrootcert=" + os.Getenv("SSL_CERT_FILE")); err != nil {
		t.Fatalf("VERIFY_CA with the CA file refused the certificate: %v", err)
	}
	for _, props := range []string{
		"sslMode=VERIFY_IDENTITY",
		"sslMode=VERIFY_CA",
		"sslmode=verify-ca",
		"useSSL=true\nverifyServerCertificate=true",
		"verifyServerCertificate=true",
	} {
		if err := dial(props); err == nil {
			t.Errorf("%q: a certificate issued to 10.9.9.9 was accepted for the shard host 127.0.0.1", props)
		} else {
			t.Logf("%q: refused: %v", props, err)
		}
	}
}
