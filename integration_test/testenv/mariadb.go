package testenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Default locations of the MariaDB binaries (Debian's mariadb-server);
// REVREPL_MARIADBD and REVREPL_MARIADB_INSTALL_DB override them.
const (
	DefaultMariaDBD         = "/usr/sbin/mariadbd"
	DefaultMariaDBInstallDB = "/usr/bin/mariadb-install-db"
)

// MariaDB is a MariaDB server private to one test, so that the test may
// stop and start it without disturbing the machine's shared server. Its
// root account (TCP, empty password) is the admin account, as on the
// shared server.
type MariaDB struct {
	// Addr is 127.0.0.1:port; it stays the same across Stop and Start.
	Addr string

	dir     string // data/, the socket, the pid file and the error log
	bin     string
	logPath string
	args    []string // extra server options

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	frozen bool          // SIGSTOPped by Freeze
}

// serverFlags keep startup and the data directory small: a test server
// holds a few tables, and these tests restart it while the clock runs.
var serverFlags = []string{
	"--skip-name-resolve",
	"--innodb-buffer-pool-size=16M",
	"--innodb-log-file-size=8M",
	"--skip-log-bin",
	"--character-set-server=utf8mb4",
	"--collation-server=utf8mb4_general_ci",
}

// PrivateMariaDB installs a fresh MariaDB data directory under t's temp
// dir and starts a server on it, listening on 127.0.0.1 only. The server
// is shut down when t ends. Missing binaries skip t loudly (or fail it
// under REVREPL_REQUIRE_SERVICES=1). serverArgs are added to the server's
// options at every start, e.g. "--default-time-zone=+05:00".
func PrivateMariaDB(t testing.TB, serverArgs ...string) *MariaDB {
	t.Helper()
	bin, install := envOr("REVREPL_MARIADBD", DefaultMariaDBD), envOr("REVREPL_MARIADB_INSTALL_DB", DefaultMariaDBInstallDB)
	for _, b := range []string{bin, install} {
		if _, err := os.Stat(b); err != nil {
			Unavailable(t, "MariaDB binary for a private server: %v (install mariadb-server)", err)
		}
	}
	dir := t.TempDir()
	m := &MariaDB{dir: dir, bin: bin, logPath: filepath.Join(dir, "error.log"), args: serverArgs}
	port, err := freeStablePort()
	if err != nil {
		t.Fatalf("testenv: a port for MariaDB: %v", err)
	}
	m.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	began := time.Now()
	args := []string{"--no-defaults", "--datadir=" + m.dataDir(), "--skip-test-db",
		// "normal" gives root a password-less account for 127.0.0.1, which
		// Admin uses; the default would allow only the unix socket.
		"--auth-root-authentication-method=normal"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	out, err := exec.Command(install, append(args, serverFlags...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("testenv: %s: %v\n%s", install, err, out)
	}
	installed := time.Now()
	// Registered before the server starts, so that a failed Start is
	// cleaned up too; it runs before TempDir's removal (cleanups are LIFO).
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("testenv: stopping the private MariaDB: %v", err)
		}
	})
	if err := m.Start(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Logf("private MariaDB on %s: data directory installed in %v, server ready in %v",
		m.Addr, installed.Sub(began).Round(time.Millisecond), time.Since(installed).Round(time.Millisecond))
	return m
}

func (m *MariaDB) dataDir() string { return filepath.Join(m.dir, "data") }

// Start starts the server on its data directory and port and returns once
// it accepts logins. Starting a running server does nothing.
func (m *MariaDB) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return nil
	}
	_, port, _ := net.SplitHostPort(m.Addr)
	args := []string{"--no-defaults", "--datadir=" + m.dataDir(), "--port=" + port, "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(m.dir, "mysqld.sock"), "--pid-file=" + filepath.Join(m.dir, "mysqld.pid"),
		"--log-error=" + m.logPath, "--tmpdir=" + m.dir}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root") // mariadbd refuses to run as root otherwise
	}
	args = append(append(args, serverFlags...), m.args...)
	cmd := exec.Command(m.bin, args...)
	// The server must not outlive a test binary that dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", m.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	m.cmd, m.exited = cmd, exited

	// The port opens before the server is ready for connections, so only
	// a login proves it is up.
	admin, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		return err
	}
	defer admin.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = admin.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			m.cmd = nil
			return fmt.Errorf("MariaDB on %s exited while starting; %s", m.Addr, m.logTail())
		default:
		}
		if time.Now().After(deadline) {
			m.stopLocked()
			return fmt.Errorf("MariaDB on %s not ready within 60s (%v); %s", m.Addr, err, m.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down cleanly (SIGTERM, as an operator or init
// system stops it) and returns once the process has exited. Stopping a
// stopped server does nothing.
func (m *MariaDB) Stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopLocked()
}

// Freeze suspends the server process (SIGSTOP), as a hung host or a
// stalled process looks to its clients: its connections stay open and the
// kernel still accepts new ones on its port, but nothing is answered until
// Thaw. Stop thaws a frozen server first.
func (m *MariaDB) Freeze() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return fmt.Errorf("MariaDB on %s is not running", m.Addr)
	}
	if err := m.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("freezing MariaDB: %w", err)
	}
	m.frozen = true
	return nil
}

// Thaw resumes a server suspended by Freeze (SIGCONT).
func (m *MariaDB) Thaw() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.thawLocked()
}

func (m *MariaDB) thawLocked() error {
	if m.cmd == nil || !m.frozen {
		return nil
	}
	if err := m.cmd.Process.Signal(syscall.SIGCONT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("thawing MariaDB: %w", err)
	}
	m.frozen = false
	return nil
}

func (m *MariaDB) stopLocked() error {
	if m.cmd == nil {
		return nil
	}
	defer func() { m.cmd = nil }()
	// A stopped process would not act on SIGTERM.
	if err := m.thawLocked(); err != nil {
		return err
	}
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling MariaDB: %w", err)
	}
	select {
	case <-m.exited:
		return nil
	case <-time.After(2 * time.Minute):
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
	return fmt.Errorf("MariaDB on %s ignored SIGTERM for 2 minutes and was killed; %s", m.Addr, m.logTail())
}

// Database creates the database name and returns a root pool connected to
// it and that pool's DSN. The pool reconnects on its own after a restart.
func (m *MariaDB) Database(t testing.TB, name string) (*sql.DB, string) {
	t.Helper()
	admin, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("testenv: create database %s on %s: %v", name, m.Addr, err)
	}
	dsn := m.dsn(name)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

func (m *MariaDB) dsn(db string) string {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.DBName = "tcp", m.Addr, "root", db
	cfg.Timeout = 5 * time.Second
	dsn := cfg.FormatDSN()
	return dsn + sep(dsn) + MySQLParams
}

func (m *MariaDB) logTail() string {
	b, err := os.ReadFile(m.logPath)
	if err != nil {
		return fmt.Sprintf("no error log (%v)", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "error log ends:\n" + strings.Join(lines, "\n")
}

// freeStablePort picks a free port below the kernel's ephemeral range: a
// stopped server's port must still be free when it starts again, and ports
// handed out for outgoing connections and for listeners on port 0 (every
// other local service of the tests) come from that range.
func freeStablePort() (int, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	const base = 10000
	for i := 0; i < 100 && low > base; i++ {
		port := base + rand.IntN(low-base)
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			l.Close()
			return port, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
