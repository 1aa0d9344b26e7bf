package mysql

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
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
	"useCursorFetch": true, "tcpKeepAlive": true,
	"trustCertificateKeyStorePassword": true, "trustCertificateKeyStoreType": true, "useJDBCCompliantTimezoneShift": true,
	"useLegacyDatetimeCode": true,
}

// fixed are settings the writer relies on: raw DATETIME text, a UTC
// session, utf8mb4, several statements per call (lazybegin.go).
var fixed = map[string]string{
	"parseTime": "values are converted by the template", "loc": "the session runs in UTC",
	"time_zone": "the session runs in UTC", "charset": "the template writes utf8mb4",
	"multiStatements":   "the template sets it itself, to send START TRANSACTION and COMMIT with the writer's statements",
	"interpolateParams": "the template binds values on the client",
	"clientFoundRows":   "the writer counts matched rows, not changed ones",
}

// fixedSetting is the reason property k may not be set, if it is one of
// fixed in any case: the server takes session variable names in any case
// (TIME_ZONE is time_zone), and two spellings of one would both be sent,
// in no set order.
func fixedSetting(k string) (string, bool) {
	for name, reason := range fixed {
		if strings.EqualFold(name, k) {
			return reason, true
		}
	}
	return "", false
}

// hasFold tells whether props has name, in any case.
func hasFold(props url.Values, name string) bool {
	for k := range props {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// isUTF8MB4 tells whether v (quoted or not) names utf8mb4 or one of its
// collations: what the template sets anyway.
func isUTF8MB4(v string) bool {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), "'\""))
	return v == "utf8mb4" || strings.HasPrefix(v, "utf8mb4_")
}

// sessionValue tells whether v may be sent as a session variable's value.
// The driver sends SET name=value with the value as written, so a value
// is one number, word or quoted string: a comma would set another
// variable in the same SET (a character set among them), a semicolon
// start another statement.
func sessionValue(v string) bool {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		return !strings.ContainsAny(v[1:len(v)-1], "'\"\\")
	}
	return v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == ""
}

// textCharset tells whether property k, passed to the server as a
// session variable (or, for "collation", to the driver), would change the
// character set in which the server reads the statements the driver
// builds. The driver escapes values for utf8mb4: in a multi-byte set such
// as gbk, big5 or sjis a byte before an escaping backslash can take it
// into one character, and the quote after it then ends the string, so a
// replicated value could end the statement and, the writer's connections
// sending several statements per call (lazybegin.go), start another. The
// server takes variable names in any case, quoted in backticks, and after
// @@, SESSION or LOCAL.
func textCharset(k string) bool {
	n := strings.ToLower(strings.ReplaceAll(k, "`", ""))
	n = strings.TrimPrefix(strings.TrimSpace(n), "@@")
	if i := strings.LastIndexAny(n, ". \t"); i >= 0 {
		n = n[i+1:]
	}
	return n == "collation" || n == "names" || strings.HasPrefix(n, "character_set") || strings.HasPrefix(n, "collation_")
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
	for _, kv := range target.SplitProperties(p) {
		k, v, err := target.CutProperty(kv)
		if err != nil {
			return nil, err
		}
		if reason, ok := fixedSetting(k); ok {
			return nil, fmt.Errorf("connectionProperties entry %q cannot be set: %s", kv, reason)
		}
		if textCharset(k) && !isUTF8MB4(v) {
			return nil, fmt.Errorf("connectionProperties entry %q cannot be set: the template writes utf8mb4 (set utf8mb4, or a utf8mb4_ collation, or leave it out), and escapes the values it sends for that character set only", kv)
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
		case k == "useSSL" || k == "requireSSL" || k == "verifyServerCertificate":
			// Read together after the loop (legacyTLSMode), whatever
			// their order.
			if _, err := jdbcBool(k, v); err != nil {
				return nil, err
			}
		case k == "allowFallbackToPlaintext":
			b, err := jdbcBool(k, v)
			if err != nil {
				return nil, err
			}
			spec.fallback = b
			out.Set(k, strconv.FormatBool(b))
		case k == "enabledTLSProtocols":
			minV, maxV, err := parseTLSProtocols(v)
			if err != nil {
				return nil, fmt.Errorf("connectionProperties: enabledTLSProtocols %q: %w", v, err)
			}
			spec.minVersion, spec.maxVersion = minV, maxV
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
	if mode, key := legacyTLSMode(in); mode != "" {
		spec.set(mode, key)
	}
	return out, nil
}

// jdbcBool reads a boolean property as Connector/J does: true, false,
// yes or no, in any case. Anything else is refused, naming the property,
// rather than read as false (useSSL=on must not mean plaintext).
func jdbcBool(k, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes":
		return true, nil
	case "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("connectionProperties: %s %q is not a boolean (true, false, yes or no)", k, v)
}

// legacyTLSMode reads Connector/J's pre-sslMode properties useSSL,
// requireSSL and verifyServerCertificate together, as Connector/J 8 maps
// them to sslMode (values already checked by jdbcBool):
//
//   - useSSL=false: DISABLED, whatever the others say;
//   - verifyServerCertificate=true: VERIFY_CA (useSSL defaults to true);
//   - requireSSL=true or useSSL=true: REQUIRED (Connector/J would
//     fall back to plaintext for useSSL=true alone, PREFERRED; this
//     template does not);
//   - otherwise none of them sets a mode: requireSSL=false and
//     verifyServerCertificate=false are Connector/J's defaults and never
//     turn TLS off or lower a mode the other properties set.
//
// key is the property that decided the mode, for error messages.
func legacyTLSMode(in map[string]string) (mode, key string) {
	val := func(k string) (b, given bool) {
		v, ok := in[k]
		if !ok {
			return false, false
		}
		b, _ = jdbcBool(k, v)
		return b, true
	}
	useSSL, hasUseSSL := val("useSSL")
	requireSSL, _ := val("requireSSL")
	verify, _ := val("verifyServerCertificate")
	switch {
	case hasUseSSL && !useSSL:
		return tlsOff, "useSSL"
	case verify:
		return tlsVerifyCA, "verifyServerCertificate"
	case requireSSL:
		return tlsRequired, "requireSSL"
	case useSSL:
		return tlsRequired, "useSSL"
	}
	return "", ""
}

// parseTLSProtocols reads Connector/J's enabledTLSProtocols (for example
// "TLSv1.2,TLSv1.3") as bounds on the protocol version; 0 leaves a bound
// at Go's default. Go's client speaks TLS 1.2 and 1.3 only, so TLSv1 and
// TLSv1.1 in the list are accepted and never used; a list with neither
// TLSv1.2 nor TLSv1.3, or with a name that is not a TLS version, is refused.
func parseTLSProtocols(list string) (minV, maxV uint16, err error) {
	enabled := map[uint16]bool{}
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		v, ok := target.TLSVersion(e)
		if !ok {
			return 0, 0, fmt.Errorf("%q is not a TLS version (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)", e)
		}
		enabled[v] = true
	}
	switch {
	case !enabled[tls.VersionTLS12] && !enabled[tls.VersionTLS13]:
		return 0, 0, errors.New("this template connects with TLSv1.2 or TLSv1.3 only; enable at least one of them")
	case !enabled[tls.VersionTLS12]:
		return tls.VersionTLS13, 0, nil
	case !enabled[tls.VersionTLS13]:
		return 0, tls.VersionTLS12, nil
	}
	return 0, 0, nil
}
