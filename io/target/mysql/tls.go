package mysql

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/extrafiles"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// TLS modes, from connectionProperties (JDBC sslMode names).
const (
	tlsOff            = "DISABLED"
	tlsPreferred      = "PREFERRED"       // TLS if the server offers it, unverified
	tlsRequired       = "REQUIRED"        // TLS, certificate not checked
	tlsVerifyCA       = "VERIFY_CA"       // chain checked against the CA file, not the host name (see tlsParams)
	tlsVerifyIdentity = "VERIFY_IDENTITY" // chain and host name checked
)

// tlsSpec is what connectionProperties say about TLS.
type tlsSpec struct {
	mode    string // "" when not set: the driver's default, no TLS
	modeKey string // the property that set mode
	// caFile is the CA certificate (PEM) the server is verified with,
	// named by caKey; "" means the system's roots.
	caFile, caKey string
	// minVersion and maxVersion bound the protocol (enabledTLSProtocols;
	// 0: no bound).
	minVersion, maxVersion uint16
	// fallback is allowFallbackToPlaintext=true: the driver connects in
	// plaintext when the server offers no TLS.
	fallback bool
}

// set records mode from key. sslMode and tls win over useSSL, whatever
// the order, as in Connector/J.
func (s *tlsSpec) set(mode, key string) {
	weak := func(k string) bool { return k == "useSSL" || k == "requireSSL" || k == "verifyServerCertificate" }
	if s.modeKey != "" && !weak(s.modeKey) && weak(key) {
		return
	}
	s.mode, s.modeKey = mode, key
}

// tlsParams returns the driver's DSN parameters for the shard's TLS
// settings, registering a TLS configuration with the driver when the
// built-in values (false, preferred, skip-verify, true) cannot express
// them: a CA file, VERIFY_CA with a CA file, a disabledAlgorithms
// policy or enabledTLSProtocols.
//
// VERIFY_CA skips the host name check only with a CA file: that CA (a
// private one, such as Cloud SQL's per-instance CA) signs the shard's
// certificates only. Without one the roots are the system's, which sign
// certificates for any name, so VERIFY_CA checks the host name too, as
// VERIFY_IDENTITY does.
func tlsParams(s Shard, spec tlsSpec, policy target.TLSPolicy) (url.Values, error) {
	out := url.Values{}
	mode := spec.mode
	if spec.caFile != "" {
		switch mode {
		case "":
			// A CA given without a mode: check the chain with it.
			mode = tlsVerifyCA
		case tlsVerifyCA, tlsVerifyIdentity:
		default:
			return nil, fmt.Errorf("connectionProperties: %s is given, but %s makes the connection %s, which never checks the server certificate; use sslMode=VERIFY_CA or VERIFY_IDENTITY",
				spec.caKey, spec.modeKey, mode)
		}
	} else if mode == tlsVerifyCA {
		mode = tlsVerifyIdentity
	}
	if spec.fallback && (mode == tlsRequired || mode == tlsVerifyCA || mode == tlsVerifyIdentity) {
		by := spec.modeKey
		if by == "" {
			by = spec.caKey
		}
		// A server, or anyone in the path, that does not offer TLS would
		// get the connection, credentials and data in plaintext.
		return nil, fmt.Errorf("connectionProperties: allowFallbackToPlaintext=true cannot be combined with %s (set by %s), which requires TLS: remove allowFallbackToPlaintext, or use sslMode=PREFERRED if plaintext is acceptable",
			mode, by)
	}
	policy, err := policy.WithVersions(spec.minVersion, spec.maxVersion)
	if err != nil {
		return nil, err
	}
	switch {
	case mode == "":
		return out, nil
	case mode == tlsOff:
		out.Set("tls", "false")
		return out, nil
	case spec.caFile == "" && policy.IsZero() && mode != tlsVerifyCA:
		out.Set("tls", map[string]string{tlsPreferred: "preferred", tlsRequired: "skip-verify", tlsVerifyIdentity: "true"}[mode])
		return out, nil
	}

	var roots *x509.CertPool
	var caPEM []byte
	if spec.caFile != "" {
		var err error
		if roots, caPEM, err = readCA(spec); err != nil {
			return nil, err
		}
	}
	c := &tls.Config{}
	policy.Apply(c)
	switch mode {
	case tlsPreferred, tlsRequired:
		c.InsecureSkipVerify = true
		if !policy.IsZero() {
			c.VerifyConnection = func(cs tls.ConnectionState) error { return policy.CheckKeys(cs.PeerCertificates) }
		}
	case tlsVerifyIdentity:
		c.RootCAs, c.ServerName = roots, s.Host
		if !policy.IsZero() {
			c.VerifyConnection = func(cs tls.ConnectionState) error { return policy.CheckKeys(cs.PeerCertificates) }
		}
	case tlsVerifyCA:
		// The standard check includes the host name; VERIFY_CA checks
		// the chain only, so it is done here.
		c.InsecureSkipVerify = true
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the server sent no certificate")
			}
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, ic := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(ic)
			}
			if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
				return fmt.Errorf("tls: verifying the server certificate (VERIFY_CA): %w", err)
			}
			return policy.CheckKeys(cs.PeerCertificates)
		}
	}
	sum := sha256.Sum256([]byte(mode + "\x00" + s.Host + "\x00" + string(caPEM) + "\x00" + policy.String()))
	name := "revrepl-" + hex.EncodeToString(sum[:12])
	if err := driver.RegisterTLSConfig(name, c); err != nil {
		return nil, fmt.Errorf("registering the TLS configuration: %w", err)
	}
	out.Set("tls", name)
	if mode == tlsPreferred {
		out.Set("allowFallbackToPlaintext", "true")
	}
	return out, nil
}

// readCA reads the PEM certificates of the CA file, looking for files
// named under /extra_files/ where extraFilesToStage put them.
func readCA(spec tlsSpec) (*x509.CertPool, []byte, error) {
	path, err := extrafiles.Resolve(spec.caFile)
	if err != nil {
		return nil, nil, fmt.Errorf("connectionProperties: %s: %w", spec.caKey, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("connectionProperties: %s %s: cannot read the CA certificate (is it listed in extraFilesToStage?): %w", spec.caKey, spec.caFile, err)
	}
	pool := x509.NewCertPool()
	rest, n := b, 0
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("connectionProperties: %s %s: %w", spec.caKey, spec.caFile, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("connectionProperties: %s %s holds no PEM certificate; Java keystores (JKS, PKCS12) are not read: export the CA certificate as PEM (keytool -exportcert -rfc) and stage that file", spec.caKey, spec.caFile)
	}
	return pool, b, nil
}
