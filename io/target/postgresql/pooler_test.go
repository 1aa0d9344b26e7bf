package postgresql

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"net"
	"testing"
)

// fakePooler stands for a connection pooler in front of the server at
// addr (PgBouncer, in any pool mode): it relays each client connection to
// a server connection of its own, but announces to the client a
// cancellation key of its own making, as PgBouncer does (a random one per
// client), with pid in the process id's place. It returns the address
// clients connect to.
func fakePooler(t *testing.T, addr string, pid uint32) (host, port string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", addr)
			if err != nil {
				client.Close()
				continue
			}
			go func() {
				_, _ = io.Copy(server, client)
				server.Close()
			}()
			go func() {
				relayBackend(client, server, pid)
				client.Close()
			}()
		}
	}()
	h, p, _ := net.SplitHostPort(ln.Addr().String())
	return h, p
}

// relayBackend copies the server's messages to the client, rewriting the
// process id of BackendKeyData. The client must not ask for TLS: every
// message then has a type byte and a length.
func relayBackend(client, server net.Conn, pid uint32) {
	r, w := bufio.NewReader(server), bufio.NewWriter(client)
	var head [5]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(head[1:])-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if head[0] == 'K' && len(body) >= 4 {
			binary.BigEndian.PutUint32(body, pid)
		}
		if _, err := w.Write(head[:]); err != nil {
			return
		}
		if _, err := w.Write(body); err != nil {
			return
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// A connection that keeps prepared statements reads its server process
// once, in its first batch, and keeps it; with prepareThreshold=0 (a
// pooler in transaction mode, which may run each transaction on another
// server connection) every batch reads it, in its transaction.
func TestSessionRemembersPID(t *testing.T) {
	for _, tt := range []struct {
		props    string
		remember bool
	}{{"sslmode=disable", true}, {"sslmode=disable;prepareThreshold=0", false}} {
		t.Run(tt.props, func(t *testing.T) {
			d, _ := sessionDB(t)
			s := shardOf(d, d.Name+"_writer", "pw")
			s.Namespace, s.ConnectionProperties = "app", tt.props
			db, release, err := Acquire(s, 1)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(release)
			first := begin(t, db)
			c, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var kept int64
			_ = c.Raw(func(dc any) error {
				kept, _ = rememberedPID(dc)
				return nil
			})
			if want := map[bool]int64{true: first, false: 0}[tt.remember]; kept != want {
				t.Fatalf("the connection keeps pid %d, want %d", kept, want)
			}
			if !tt.remember {
				return
			}
			// What the connection keeps stands for the query from then on.
			_ = c.Raw(func(dc any) error {
				pgxConn(dc).PgConn().CustomData()[pidKey] = int64(42)
				return nil
			})
			c.Close()
			if got := begin(t, db); got != 42 {
				t.Errorf("second batch's pid %d, want the kept 42", got)
			}
		})
	}
}

// begin runs an empty batch on db and returns the pid its session noted;
// the connection goes back to the pool before it returns.
func begin(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	s := begun(context.Background(), t, db)
	defer func() { _ = s.Rollback(); _ = s.Close() }()
	return s.(*session).pid
}
