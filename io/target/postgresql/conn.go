package postgresql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Default timeouts of a shard's connections; connectionProperties may
// change them (connectTimeout, socketTimeout, in seconds as for pgJDBC).
const (
	defaultConnectTimeout = 10 * time.Second
	defaultIOTimeout      = 5 * time.Minute
)

// statementCacheSize is how many prepared statements a connection keeps
// (config): the few a table's batches use (the shadow statements, the
// data upserts and deletes, at the batch sizes that recur) for a table or
// two at a time. Each costs the server memory, by the table's width:
// 0.4 MB for a 256-row upsert of 6 columns, 3.4 MB for 60 columns, once
// planned (PostgreSQL 15, pg_backend_memory_contexts). One place more
// holds the transactions' BEGIN, which the writer's connections send in a
// pipeline of prepared statements (lazybegin.go).
const statementCacheSize = 8 + 1

// DefaultNamespace is the schema of a shard whose file entry names none.
const DefaultNamespace = "public"

// conf is a shard's connection: pgx's configuration and the I/O timeout
// the template enforces itself (pgx has none).
type conf struct {
	pgx       *pgx.ConnConfig
	ioTimeout time.Duration
	// key identifies the connection settings, for the shared pools.
	key string
	ns  string // the shard's namespace
}

// Config builds pgx's configuration of a shard, honouring its
// connectionProperties (see properties.go) and disabledAlgorithms.
func Config(s Shard) (*pgx.ConnConfig, error) {
	c, err := config(s)
	if err != nil {
		return nil, err
	}
	return c.pgx, nil
}

func config(s Shard) (conf, error) {
	if tz := s.TimeZone; tz != "" && !offsetText.MatchString(tz) {
		return conf{}, fmt.Errorf("shard %q: session time zone %q is not an offset +HH:MM", s.ID(), tz)
	}
	if strings.ContainsRune(s.Namespace, 0) {
		return conf{}, fmt.Errorf("shard %q: namespace contains a NUL character", s.ID())
	}
	props, err := parseProperties(s.ConnectionProperties)
	if err != nil {
		return conf{}, fmt.Errorf("shard %q: %w", s.ID(), err)
	}
	io := defaultIOTimeout
	if v, ok := props[socketTimeoutKey]; ok {
		n, _ := strconv.Atoi(v)
		io = time.Duration(n) * time.Second
		delete(props, socketTimeoutKey)
	}
	cache := true
	if v, ok := props[prepareThresholdKey]; ok {
		cache = v != "0"
		delete(props, prepareThresholdKey)
	}
	kw := settings{
		"host": s.Host, "port": string(s.Port), "user": s.User, "dbname": s.DBName,
		"sslmode":          "prefer", // libpq's and pgJDBC's default
		"connect_timeout":  strconv.Itoa(int(defaultConnectTimeout / time.Second)),
		"application_name": "revrepl",
	}
	for k, v := range props {
		kw[k] = v
	}
	if kw["dbname"] == "" {
		// Without a database libpq connects to the user's namesake;
		// the launch check connects to "postgres" to look for it.
		kw["dbname"] = "postgres"
	}
	connString := kw.connString()
	pc, err := pgx.ParseConfig(connString)
	if err != nil {
		return conf{}, fmt.Errorf("shard %q: connectionProperties: %w", s.ID(), withoutConnString(err))
	}
	pc.Password = s.Password
	// Every value the writer binds carries its own offset, or is a wall
	// clock; UTC makes what the session prints (and any now()) plain.
	pc.RuntimeParams["TimeZone"] = "UTC"
	// Statements are prepared on the server once per connection and kept
	// (pgx's statement cache, at most statementCacheSize per connection,
	// least recently used out first): a batch's statements have the same
	// text from one batch to the next (full batches), and parsing a
	// multi-row INSERT of 256 rows took the server about as long as
	// running it. The server infers each parameter's type from its
	// column; a string is bound as text, which the column's type reads
	// as its input form, as before; []byte (bytea) and integers are bound
	// in binary. pgJDBC's prepareThreshold=0, the setting for a pooler
	// that cannot keep prepared statements (PgBouncer in transaction
	// mode), turns this off: each statement is then parsed where it runs.
	pc.DefaultQueryExecMode, pc.StatementCacheCapacity = pgx.QueryExecModeCacheStatement, statementCacheSize
	if !cache {
		pc.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	policy, err := target.ParseDisabledAlgorithms(s.DisabledAlgorithms)
	if err != nil {
		return conf{}, fmt.Errorf("shard %q: disabledAlgorithms: %w", s.ID(), err)
	}
	if pc.TLSConfig != nil {
		policy.Harden(pc.TLSConfig)
	}
	for _, fb := range pc.Fallbacks {
		if fb.TLSConfig != nil {
			policy.Harden(fb.TLSConfig)
		}
	}
	ns := Namespace(s)
	return conf{pgx: pc, ioTimeout: io, ns: ns, key: connString + "\x00" + s.Password + "\x00" + policy.String() + "\x00" + ns + "\x00" + strconv.FormatBool(cache)}, nil
}

// withoutConnString drops the connection string from pgx's parse error:
// pgx masks password='...' in it only up to the first quote, so an
// sslpassword holding a quote would show its rest. What is left is pgx's
// reason and the underlying error, which name no setting's value.
func withoutConnString(err error) error {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return err
	}
	msg, inner := pce.Error(), pce.Unwrap()
	if inner != nil {
		msg = strings.TrimSuffix(msg, " ("+inner.Error()+")")
	}
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		msg = msg[i+len("`: "):]
	} else {
		msg = "invalid connection settings"
	}
	if inner == nil {
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %w", msg, inner)
}

var offsetText = regexp.MustCompile(`^[+-][0-9]{2}:[0-9]{2}$`)

// connString renders the settings as a libpq keyword/value string, every
// value quoted.
func (kw settings) connString() string {
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kw[k])
		fmt.Fprintf(&b, "%s='%s' ", k, v)
	}
	return strings.TrimSpace(b.String())
}

// Open opens a pool of at most poolSize connections to the shard, with
// the connection's own I/O timeout.
func Open(s Shard, poolSize int) (*sql.DB, error) {
	c, err := config(s)
	if err != nil {
		return nil, err
	}
	return open(c, c.ioTimeout, poolSize), nil
}

func open(c conf, ioTimeout time.Duration, poolSize int) *sql.DB {
	pc := c.pgx.Copy()
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	pc.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &deadlineConn{Conn: nc, timeout: ioTimeout}, nil
	}
	db := sql.OpenDB(lazyConnector{base: stdlib.GetConnector(*pc)})
	namespaces.Store(db, c.ns)
	target.SizePool(db, poolSize)
	return db
}

// deadlineConn bounds every read and write of a connection, as the MySQL
// driver's readTimeout and writeTimeout do: database/sql commits and
// rolls back without a context, so against a shard that stopped answering
// without closing its connections only this ends a COMMIT. An idle
// connection reads nothing, so it never times out.
//
// The driver sets deadlines of its own: when a statement's context ends,
// pgx interrupts the connection by setting a deadline in the past
// (pgconn.DeadlineContextWatcherHandler), and clears it (the zero time)
// once the statement is over. Every read and write honours the earlier
// of the driver's deadline and the I/O timeout; otherwise a context that
// ended between two reads would be undone by the next read's own
// deadline, which would wait for the server up to the I/O timeout. The
// mutex orders the driver's setting against a read's or write's: either
// the read sees the driver's deadline, or the driver's deadline replaces
// the read's, interrupting it.
type deadlineConn struct {
	net.Conn
	timeout time.Duration

	mu              sync.Mutex
	readBy, writeBy time.Time // the driver's deadlines; zero: none
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.arm(&c.readBy, c.Conn.SetReadDeadline); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.arm(&c.writeBy, c.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// arm sets the deadline of the next read or write: the I/O timeout from
// now, or the driver's deadline *by if that comes first.
func (c *deadlineConn) arm(by *time.Time, set func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return set(c.bounded(*by))
}

// SetDeadline, SetReadDeadline and SetWriteDeadline are the driver's. A
// read or write under way when the driver clears its deadline, or sets a
// later one, keeps the I/O timeout from now.
func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readBy, c.writeBy = t, t
	return c.Conn.SetDeadline(c.bounded(t))
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readBy = t
	return c.Conn.SetReadDeadline(c.bounded(t))
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeBy = t
	return c.Conn.SetWriteDeadline(c.bounded(t))
}

// bounded is the earlier of the driver's deadline t (zero: none) and the
// I/O timeout from now.
func (c *deadlineConn) bounded(t time.Time) time.Time {
	d := time.Now().Add(c.timeout)
	if !t.IsZero() && t.Before(d) {
		return t
	}
	return d
}
