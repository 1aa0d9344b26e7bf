package mysql

import (
	"database/sql"
	"fmt"
	"net"
	"regexp"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// DSN builds the driver configuration of a shard, honouring its
// connectionProperties (see properties). interpolateParams makes a
// statement with arguments one round trip instead of prepare+execute+close;
// the driver escapes every argument itself, so values are still never part
// of the SQL text we build.
func DSN(s Shard) (string, error) {
	c := driver.NewConfig()
	c.User = s.User
	c.Passwd = s.Password
	c.Net = "tcp"
	c.Addr = net.JoinHostPort(s.Host, string(s.Port))
	c.DBName = s.DBName
	c.InterpolateParams = true
	// An UPDATE's row count tells whether the row exists even when no
	// value changed (the unique-key-safe writer relies on it).
	c.ClientFoundRows = true
	c.ParseTime = false
	c.Loc = time.UTC
	c.Timeout = 10 * time.Second
	c.ReadTimeout = 5 * time.Minute
	c.WriteTimeout = 5 * time.Minute
	tz := s.TimeZone
	if tz == "" {
		tz = "+00:00"
	}
	if !offsetText.MatchString(tz) {
		return "", fmt.Errorf("shard %q: session time zone %q is not an offset +HH:MM", s.ID(), tz)
	}
	c.Params = map[string]string{
		"charset": "utf8mb4",
		// Date and time values are bound as wall-clock text in the source
		// database's zone (sourceDbTimezoneOffset). MySQL reads the text
		// for a TIMESTAMP column in the session's time_zone: setting it
		// to that zone, whatever the server's default, stores the
		// Spanner instant. DATETIME columns keep the text as it is.
		"time_zone": "'" + tz + "'",
	}
	props, spec, err := properties(s.ConnectionProperties)
	if err != nil {
		return "", fmt.Errorf("shard %q: %w", s.ID(), err)
	}
	policy, err := target.ParseDisabledAlgorithms(s.DisabledAlgorithms)
	if err != nil {
		return "", fmt.Errorf("shard %q: disabledAlgorithms: %w", s.ID(), err)
	}
	tlsValues, err := tlsParams(s, spec, policy)
	if err != nil {
		return "", fmt.Errorf("shard %q: %w", s.ID(), err)
	}
	for k, v := range tlsValues {
		props[k] = v
	}
	if !hasFold(props, "sql_mode") {
		c.Params["sql_mode"] = strictSQLMode
	}
	dsn := c.FormatDSN()
	if len(props) == 0 {
		return dsn, nil
	}
	// The driver parses its own parameters (tls, timeouts, ...) and keeps
	// the others as session variables; parsing here reports bad values at
	// launch, naming the shard.
	dsn += "&" + props.Encode()
	parsed, err := driver.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("shard %q: connectionProperties: %w", s.ID(), err)
	}
	// What the driver did not take as its own parameter it sends as a
	// session variable, its value as written (properties.go: sessionValue).
	for k := range props {
		if v, ok := parsed.Params[k]; ok && !sessionValue(v) {
			return "", fmt.Errorf("shard %q: connectionProperties entry %s=%s: a session variable's value must be one number, word, or quoted string without quotes or backslashes in it", s.ID(), k, v)
		}
	}
	return dsn, nil
}

// strictSQLMode adds STRICT_ALL_TABLES to the server's modes for the
// writer's sessions. Without it MySQL stores a value that does not fit its
// column truncated or clamped, with a mere warning: on a non-strict server,
// and even under STRICT_TRANS_TABLES (the usual default) for non-transactional
// tables such as MyISAM in every row of a multi-row statement but the first.
// The template checks values against the schema read at launch, but the
// source schema may change after it. (Connector/J, the Java template's
// driver, adds STRICT_TRANS_TABLES by default: jdbcCompliantTruncation.)
// A sql_mode in connectionProperties replaces this.
const strictSQLMode = "CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES')"

var offsetText = regexp.MustCompile(`^[+-][0-9]{2}:[0-9]{2}$`)

// Open opens a pool of at most poolSize connections to the shard.
func Open(s Shard, poolSize int) (*sql.DB, error) {
	dsn, err := DSN(s)
	if err != nil {
		return nil, err
	}
	return open(s, dsn, poolSize)
}

// open opens a pool of the template's connections (lazybegin.go) with the
// driver configuration of dsn.
func open(s Shard, dsn string, poolSize int) (*sql.DB, error) {
	cfg, err := driver.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("shard %q: %w", s.LogicalShardID, err)
	}
	db, err := openLazy(cfg)
	if err != nil {
		return nil, fmt.Errorf("shard %q: %w", s.LogicalShardID, err)
	}
	target.SizePool(db, poolSize)
	return db, nil
}
