package postgresql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/extrafiles"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Shard files written for the Java template give PostgreSQL JDBC driver
// (pgJDBC) properties in connectionProperties. They are translated into
// libpq-style settings that pgx reads, dropped when they only tune the JDBC
// driver, and refused otherwise: a property the template does not know
// would otherwise be silently ignored, and a security setting among them
// (sslmode=verify-full misspelt) must not be.

// settings are the libpq keywords of a shard's connection that come from
// its connectionProperties.
type settings map[string]string

// propertyKind says how one connectionProperties key is read.
type propertyKind int

const (
	propSSLMode  propertyKind = iota + 1
	propSSL                   // pgJDBC's ssl=true|false
	propFile                  // a certificate or key file, staged by extraFilesToStage
	propSeconds               // pgJDBC's connectTimeout, loginTimeout, socketTimeout (seconds)
	propText                  // passed on as it is
	propPrepare               // pgJDBC's prepareThreshold: 0 turns the statement cache off
	propJDBCOnly              // tunes pgJDBC only: ignored
)

// property maps a connectionProperties key to its libpq keyword.
type property struct {
	kind    propertyKind
	keyword string
}

// properties lists the keys understood, by pgJDBC name and, where libpq's
// differs, by libpq name too.
var properties = map[string]property{
	"sslmode":         {propSSLMode, "sslmode"},
	"sslMode":         {propSSLMode, "sslmode"},
	"ssl":             {propSSL, "sslmode"},
	"sslrootcert":     {propFile, "sslrootcert"},
	"sslcert":         {propFile, "sslcert"},
	"sslkey":          {propFile, "sslkey"},
	"sslpassword":     {propText, "sslpassword"},
	"connectTimeout":  {propSeconds, "connect_timeout"},
	"connect_timeout": {propSeconds, "connect_timeout"},
	"loginTimeout":    {propSeconds, "connect_timeout"},
	"socketTimeout":   {propSeconds, socketTimeoutKey},
	"ApplicationName": {propText, "application_name"},
	"applicationName": {propText, "application_name"},

	"application_name": {propText, "application_name"},
	"prepareThreshold": {propPrepare, prepareThresholdKey}, "preparedStatementCacheQueries": {kind: propJDBCOnly},
	"preparedStatementCacheSizeMiB": {kind: propJDBCOnly}, "defaultRowFetchSize": {kind: propJDBCOnly},
	"reWriteBatchedInserts": {kind: propJDBCOnly}, "binaryTransfer": {kind: propJDBCOnly},
	"tcpKeepAlive": {kind: propJDBCOnly}, "stringtype": {kind: propJDBCOnly}, "loggerLevel": {kind: propJDBCOnly},
	"loggerFile": {kind: propJDBCOnly}, "logUnclosedConnections": {kind: propJDBCOnly},
	"assumeMinServerVersion": {kind: propJDBCOnly}, "cancelSignalTimeout": {kind: propJDBCOnly},
	"receiveBufferSize": {kind: propJDBCOnly}, "sendBufferSize": {kind: propJDBCOnly},
	"useUnicode": {kind: propJDBCOnly}, "characterEncoding": {kind: propJDBCOnly},
}

// socketTimeoutKey is not a libpq keyword: the template reads it as the
// I/O timeout of its connections (see ioTimeout).
const socketTimeoutKey = "socket_timeout"

// prepareThresholdKey is not a libpq keyword either: "0" when the shard's
// prepareThreshold is 0, pgJDBC's way of not preparing statements on the
// server (a connection pooler such as PgBouncer in transaction mode
// cannot keep them); the template then does not cache statements either
// (conn.go).
const prepareThresholdKey = "prepare_threshold"

// fixed are settings the writer relies on, or that the shard's fields set.
var fixed = map[string]string{
	"user": "set the shard's user field", "password": "set the shard's password or secretManagerUri field",
	"host": "set the shard's host field", "port": "set the shard's port field",
	"dbname": "set the shard's dbName field", "PGDBNAME": "set the shard's dbName field",
	"currentSchema": "set the shard's namespace field", "search_path": "set the shard's namespace field",
	"options":  "the template sets the session itself",
	"TimeZone": "the session runs in UTC; values carry their own offsets", "timezone": "the session runs in UTC; values carry their own offsets",
	"readOnly":            "the writer writes",
	"targetServerType":    "a shard is one server, its primary",
	"sslfactory":          "use sslmode and sslrootcert (a Java SSLSocketFactory does not apply)",
	"sslhostnameverifier": "use sslmode=verify-full or verify-ca",
}

// sslModes are libpq's sslmode values (pgJDBC's are the same).
var sslModes = map[string]bool{"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true}

// parseProperties reads connectionProperties (key=value entries separated
// by newlines, ';' or '&'; # starts a comment line) into libpq settings.
// Errors name the property; the caller adds the shard.
func parseProperties(p string) (settings, error) {
	out := settings{}
	sslGiven := ""
	for _, kv := range target.SplitProperties(p) {
		k, v, err := target.CutProperty(kv)
		if err != nil {
			return nil, err
		}
		if reason, ok := fixed[k]; ok {
			return nil, fmt.Errorf("connectionProperties: %s cannot be set: %s", k, reason)
		}
		prop, ok := properties[k]
		if !ok {
			return nil, fmt.Errorf("connectionProperties: unknown property %q; PostgreSQL shards understand %s", k, strings.Join(known(), ", "))
		}
		switch prop.kind {
		case propSSLMode:
			mode := strings.ToLower(v)
			if !sslModes[mode] {
				return nil, fmt.Errorf("connectionProperties: %s %q is not disable, allow, prefer, require, verify-ca or verify-full", k, v)
			}
			out["sslmode"], sslGiven = mode, k
		case propSSL:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("connectionProperties: ssl %q is not true or false", v)
			}
			if sslGiven != "" {
				continue // an explicit sslmode wins, as in pgJDBC
			}
			// pgJDBC's ssl=true verifies the certificate and host name.
			out["sslmode"] = map[bool]string{true: "verify-full", false: "disable"}[b]
		case propFile:
			if v == "" {
				return nil, fmt.Errorf("connectionProperties: %s is empty", k)
			}
			path, err := extrafiles.Resolve(v)
			if err != nil {
				return nil, fmt.Errorf("connectionProperties: %s: %w", k, err)
			}
			out[prop.keyword] = path
		case propSeconds:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("connectionProperties: %s %q is not a number of seconds", k, v)
			}
			if n == 0 {
				continue // pgJDBC's "no timeout": keep the template's
			}
			out[prop.keyword] = strconv.Itoa(n)
		case propText:
			out[prop.keyword] = v
		case propPrepare:
			if _, err := strconv.Atoi(v); err != nil {
				return nil, fmt.Errorf("connectionProperties: %s %q is not a whole number", k, v)
			}
			out[prop.keyword] = v
		case propJDBCOnly:
		}
	}
	return out, nil
}

// known lists the understood properties, for the message about an unknown one.
func known() []string {
	var out []string
	for k, p := range properties {
		if p.kind != propJDBCOnly {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
