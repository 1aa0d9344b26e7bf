package mysql

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Shard files written for the Java template give JDBC driver properties in
// connectionProperties ("useSSL=false" is common). The Go driver knows
// other names, and passes names it does not know to the server as session
// variables (SET name=value), which would fail the connection. So JDBC
// names are translated where the Go driver has an equivalent, and dropped
// where they only tune the JDBC driver itself.

// jdbcOnly are JDBC tuning properties with no meaning here.
var jdbcOnly = map[string]bool{
	"cachePrepStmts": true, "prepStmtCacheSize": true, "prepStmtCacheSqlLimit": true, "useServerPrepStmts": true,
	"rewriteBatchedStatements": true, "useUnicode": true, "characterEncoding": true, "serverTimezone": true,
	"zeroDateTimeBehavior": true, "autoReconnect": true, "allowPublicKeyRetrieval": true, "useLocalSessionState": true,
	"elideSetAutoCommits": true, "maintainTimeStats": true, "cacheResultSetMetadata": true, "cacheServerConfiguration": true,
	"useCursorFetch": true, "tcpKeepAlive": true, "verifyServerCertificate": true,
	"trustCertificateKeyStorePassword": true, "trustCertificateKeyStoreType": true, "enabledTLSProtocols": true, "useJDBCCompliantTimezoneShift": true,
	"useLegacyDatetimeCode": true,
}

// fixed are settings the writer relies on: raw DATETIME text, a UTC
// session, utf8mb4, one statement per call.
var fixed = map[string]string{
	"parseTime": "values are converted by the template", "loc": "the session runs in UTC",
	"time_zone": "the session runs in UTC", "charset": "the template writes utf8mb4",
	"multiStatements":   "the template sends one statement per call",
	"interpolateParams": "the template binds values on the client",
	"clientFoundRows":   "the writer counts matched rows, not changed ones",
}

// sslModes maps JDBC sslMode values (and libpq's sslmode names, which
// some shard files use) to TLS modes.
var sslModes = map[string]string{
	"DISABLED": tlsOff, "PREFERRED": tlsPreferred, "REQUIRED": tlsRequired, "VERIFY_CA": tlsVerifyCA, "VERIFY_IDENTITY": tlsVerifyIdentity,
	"DISABLE": tlsOff, "ALLOW": tlsPreferred, "PREFER": tlsPreferred, "REQUIRE": tlsRequired, "VERIFY-CA": tlsVerifyCA, "VERIFY-FULL": tlsVerifyIdentity,
}

// driverTLS maps the Go driver's own tls values to TLS modes.
var driverTLS = map[string]string{
	"false": tlsOff, "preferred": tlsPreferred, "skip-verify": tlsRequired, "true": tlsVerifyIdentity,
}

// caKeys name a CA certificate file (PEM) that verifies the server:
// libpq's sslrootcert, MariaDB Connector/J's serverSslCert, and
// Connector/J's trustCertificateKeyStoreUrl (a file: URL).
var caKeys = map[string]bool{"sslrootcert": true, "serverSslCert": true, "trustCertificateKeyStoreUrl": true}

// properties parses connectionProperties (key=value entries separated by
// newlines, ';' or '&'; # starts a comment line) into Go driver DSN
// parameters and the TLS settings, which DSN turns into the driver's tls
// parameter (see tlsParams).
func properties(p string) (url.Values, tlsSpec, error) {
	var spec tlsSpec
	out, err := parseProperties(p, &spec)
	return out, spec, err
}

func parseProperties(p string, spec *tlsSpec) (url.Values, error) {
	in := map[string]string{}
	var order []string
	for _, kv := range splitProperties(p) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("connectionProperties entry %q is not key=value", kv)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if reason, ok := fixed[k]; ok {
			return nil, fmt.Errorf("connectionProperties entry %q cannot be set: %s", kv, reason)
		}
		if _, seen := in[k]; !seen {
			order = append(order, k)
		}
		in[k] = v
	}
	out := url.Values{}
	for _, k := range order {
		v := in[k]
		switch {
		case k == "useSSL" || k == "requireSSL":
			if b, _ := strconv.ParseBool(v); !b {
				spec.set(tlsOff, k)
			} else if verify, _ := strconv.ParseBool(in["verifyServerCertificate"]); verify {
				// Connector/J: the chain is checked, not the host name.
				spec.set(tlsVerifyCA, k)
			} else {
				// JDBC encrypts without checking the certificate
				// unless verifyServerCertificate=true.
				spec.set(tlsRequired, k)
			}
		case k == "sslMode" || k == "sslmode":
			mode, ok := sslModes[strings.ToUpper(v)]
			if !ok {
				return nil, fmt.Errorf("connectionProperties: %s %q is not DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY (or disable, prefer, require, verify-ca, verify-full)", k, v)
			}
			spec.set(mode, k)
		case k == "tls":
			mode, ok := driverTLS[v]
			if !ok {
				return nil, fmt.Errorf("connectionProperties: tls %q is not false, preferred, skip-verify or true", v)
			}
			spec.set(mode, k)
		case caKeys[k]:
			file := v
			if k == "trustCertificateKeyStoreUrl" {
				f, ok := strings.CutPrefix(v, "file:")
				if !ok {
					return nil, fmt.Errorf("connectionProperties: trustCertificateKeyStoreUrl %q is not a file: URL (file:/extra_files/ca.pem)", v)
				}
				file = "/" + strings.TrimLeft(f, "/")
			}
			if file == "" {
				return nil, fmt.Errorf("connectionProperties: %s is empty", k)
			}
			spec.caFile, spec.caKey = file, k
		case k == "connectTimeout" || k == "socketTimeout":
			ms, err := strconv.Atoi(v)
			if err != nil || ms < 0 {
				return nil, fmt.Errorf("connectionProperties: %s %q is not a number of milliseconds", k, v)
			}
			if ms == 0 {
				continue // JDBC's "no timeout"; keep the template's
			}
			d := strconv.Itoa(ms) + "ms"
			if k == "connectTimeout" {
				out.Set("timeout", d)
			} else {
				out.Set("readTimeout", d)
				out.Set("writeTimeout", d)
			}
		case jdbcOnly[k]:
		default:
			out.Set(k, v)
		}
	}
	return out, nil
}
