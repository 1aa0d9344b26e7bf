package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DefaultPGBin is where Debian's PostgreSQL 15 keeps initdb and pg_ctl;
// REVREPL_PG_BIN overrides it.
const DefaultPGBin = "/usr/lib/postgresql/15/bin"

// PrivatePG is a PostgreSQL server of one test, on a data directory and a
// port of its own, so that the test may stop it or change its settings
// without disturbing the machine's shared server.
type PrivatePG struct {
	Host, Port string
	bin, dir   string
	cred       *syscall.Credential // the postgres account's, when run as root
	mu         sync.Mutex
	running    bool
}

// PrivatePostgreSQL runs initdb in a fresh directory and starts a server
// on it, on 127.0.0.1 and a free port, with trust authentication; it is
// stopped (and the directory removed) when t ends. PostgreSQL refuses to
// run as root: then the server runs as the postgres account. Missing
// binaries skip t loudly (or fail it under REVREPL_REQUIRE_SERVICES=1).
func PrivatePostgreSQL(t testing.TB) *PrivatePG {
	t.Helper()
	bin := envOr("REVREPL_PG_BIN", DefaultPGBin)
	for _, b := range []string{"initdb", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			Unavailable(t, "PostgreSQL binary for a private server: %v (install postgresql or set REVREPL_PG_BIN)", err)
		}
	}
	// Not t.TempDir(): its parent is private to root, and the server may
	// run as postgres.
	dir, err := os.MkdirTemp("", "revrepl-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &PrivatePG{Host: "127.0.0.1", bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Unavailable(t, "running as root, PostgreSQL needs the postgres account: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	port, err := freeStablePort()
	if err != nil {
		t.Fatalf("testenv: a port for PostgreSQL: %v", err)
	}
	p.Port = strconv.Itoa(port)
	began := time.Now()
	if out, err := p.run("initdb", "-D", p.dataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("testenv: initdb: %v\n%s", err, out)
	}
	installed := time.Now()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("testenv: stopping the private PostgreSQL: %v", err)
		}
	})
	if err := p.Start(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Logf("private PostgreSQL on %s:%s: initdb in %v, server ready in %v", p.Host, p.Port,
		installed.Sub(began).Round(time.Millisecond), time.Since(installed).Round(time.Millisecond))
	return p
}

func (p *PrivatePG) dataDir() string { return filepath.Join(p.dir, "data") }

func (p *PrivatePG) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, prog), args...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd.CombinedOutput()
}

// Start starts the server and returns once it accepts connections.
// Starting a running server does nothing.
func (p *PrivatePG) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return nil
	}
	opts := fmt.Sprintf("-p %s -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c max_connections=200", p.Port, p.dir)
	out, err := p.run("pg_ctl", "start", "-w", "-t", "60", "-D", p.dataDir(), "-l", filepath.Join(p.dir, "server.log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		return fmt.Errorf("starting PostgreSQL on port %s: %v\n%s\n%s", p.Port, err, out, log)
	}
	p.running = true
	return nil
}

// Stop shuts the server down (fast mode: sessions are ended, their
// transactions rolled back) and returns once it has exited. Stopping a
// stopped server does nothing.
func (p *PrivatePG) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return nil
	}
	if out, err := p.run("pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", p.dataDir()); err != nil {
		return fmt.Errorf("stopping PostgreSQL on port %s: %v\n%s", p.Port, err, out)
	}
	p.running = false
	return nil
}

// Database creates a database on the server, dropped when t ends, with a
// superuser pool connected to it.
func (p *PrivatePG) Database(t testing.TB) PGDatabase {
	t.Helper()
	d := PGDatabase{Host: p.Host, Port: p.Port, User: "postgres", Name: "postgres"}
	admin, err := pgOpenAdmin(d)
	if err != nil {
		t.Fatalf("testenv: the private PostgreSQL on port %s: %v", p.Port, err)
	}
	return pgDatabase(t, admin, d)
}

// Admin connects to the server's postgres database as the superuser (for
// server-wide settings: ALTER SYSTEM); closed when t ends.
func (p *PrivatePG) Admin(t testing.TB) PGDatabase {
	t.Helper()
	d := PGDatabase{Host: p.Host, Port: p.Port, User: "postgres", Name: "postgres"}
	admin, err := pgOpenAdmin(d)
	if err != nil {
		t.Fatalf("testenv: the private PostgreSQL on port %s: %v", p.Port, err)
	}
	t.Cleanup(func() { admin.Close() })
	d.DB = admin
	return d
}

// Addr is the server's host:port.
func (p *PrivatePG) Addr() string { return net.JoinHostPort(p.Host, p.Port) }
