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
	"useCursorFetch": true, "tcpKeepAlive": true, "verifyServerCertificate": true, "trustCertificateKeyStoreUrl": true,
	"trustCertificateKeyStorePassword": true, "enabledTLSProtocols": true, "useJDBCCompliantTimezoneShift": true,
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

// sslModes maps JDBC sslMode values to the Go driver's tls parameter.
var sslModes = map[string]string{
	"DISABLED": "false", "PREFERRED": "preferred", "REQUIRED": "skip-verify", "VERIFY_CA": "true", "VERIFY_IDENTITY": "true",
}

// properties parses connectionProperties (key=value entries separated by
// newlines, ';' or '&'; # starts a comment line) into Go driver DSN
// parameters.
func properties(p string) (url.Values, error) {
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
				out.Set("tls", "false")
			} else if verify, _ := strconv.ParseBool(in["verifyServerCertificate"]); verify {
				out.Set("tls", "true")
			} else {
				// JDBC encrypts without checking the certificate
				// unless verifyServerCertificate=true.
				out.Set("tls", "skip-verify")
			}
		case k == "sslMode":
			mode, ok := sslModes[strings.ToUpper(v)]
			if !ok {
				return nil, fmt.Errorf("connectionProperties: sslMode %q is not DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY", v)
			}
			out.Set("tls", mode)
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
