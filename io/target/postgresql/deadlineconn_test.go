package postgresql

import (
	"errors"
	"net"
	"testing"
	"time"
)

// pipe is a deadlineConn of I/O timeout timeout over one end of a pipe,
// and the pipe's other end, the server.
func pipe(t *testing.T, timeout time.Duration) (*deadlineConn, net.Conn) {
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	return &deadlineConn{Conn: client, timeout: timeout}, server
}

func read(c net.Conn) func() error {
	return func() error { _, err := c.Read(make([]byte, 1)); return err }
}

// TestDeadlineConnHonoursTheDriversDeadline: pgx interrupts a statement
// whose context ended by setting a deadline in the past on the connection
// (pgconn.DeadlineContextWatcherHandler), and clears it once the
// statement is over. A deadline set between two reads or writes must end
// the next one at once, not be replaced by its own I/O timeout, which
// would wait for the server that long.
func TestDeadlineConnHonoursTheDriversDeadline(t *testing.T) {
	past := func() time.Time { return time.Now().Add(-time.Second) }
	for _, tc := range []struct {
		name string
		run  func(c *deadlineConn, server net.Conn) error
	}{
		{"read after SetDeadline, between two reads", func(c *deadlineConn, server net.Conn) error {
			go func() { _, _ = server.Write([]byte("a")) }()
			if err := read(c)(); err != nil {
				return err
			}
			_ = c.SetDeadline(past())
			return read(c)()
		}},
		{"read after SetReadDeadline", func(c *deadlineConn, _ net.Conn) error {
			_ = c.SetReadDeadline(past())
			return read(c)()
		}},
		{"write after SetDeadline", func(c *deadlineConn, _ net.Conn) error {
			_ = c.SetDeadline(past())
			_, err := c.Write([]byte("x"))
			return err
		}},
		{"write after SetWriteDeadline", func(c *deadlineConn, _ net.Conn) error {
			_ = c.SetWriteDeadline(past())
			_, err := c.Write([]byte("x"))
			return err
		}},
		{"read while the driver sets it", func(c *deadlineConn, _ net.Conn) error {
			go func() {
				time.Sleep(50 * time.Millisecond)
				_ = c.SetDeadline(time.Now())
			}()
			return read(c)()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, server := pipe(t, time.Hour)
			if err := endsWithin(t, func() error { return tc.run(c, server) }); !isTimeout(err) {
				t.Fatalf("got %v, want the driver's deadline (a timeout)", err)
			}
		})
	}
}

// TestDeadlineConnKeepsTheIOTimeout: once the driver clears its deadline,
// or sets one later than the I/O timeout, the I/O timeout still bounds
// every read (database/sql commits without a context), one under way
// included; and a read gets the server's data.
func TestDeadlineConnKeepsTheIOTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, tc := range []struct {
		name   string
		during bool // the driver sets t while the read waits
		t      func() time.Time
	}{
		{"read after a clear", false, func() time.Time { return time.Time{} }},
		{"read after a later deadline", false, func() time.Time { return time.Now().Add(time.Hour) }},
		{"clear during a read", true, func() time.Time { return time.Time{} }},
		{"later deadline during a read", true, func() time.Time { return time.Now().Add(time.Hour) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := pipe(t, timeout)
			_ = c.SetDeadline(time.Now().Add(-time.Second))
			if err := read(c)(); !isTimeout(err) {
				t.Fatalf("past deadline: %v", err)
			}
			if tc.during {
				_ = c.SetDeadline(time.Time{}) // the driver's unwatch, before the read
			} else {
				_ = c.SetDeadline(tc.t())
			}
			start := time.Now()
			err := endsWithin(t, func() error {
				if tc.during {
					go func() {
						time.Sleep(50 * time.Millisecond)
						_ = c.SetDeadline(tc.t())
					}()
				}
				return read(c)()
			})
			if !isTimeout(err) {
				t.Fatalf("got %v, want the I/O timeout", err)
			}
			if waited := time.Since(start); waited < timeout*3/4 {
				t.Fatalf("the read ended after %v, before the I/O timeout of %v: an old deadline was left behind", waited, timeout)
			}
		})
	}
	c, server := pipe(t, time.Hour)
	_ = c.SetDeadline(time.Time{})
	go func() { _, _ = server.Write([]byte("y")) }()
	buf := make([]byte, 1)
	if n, err := c.Read(buf); n != 1 || err != nil || buf[0] != 'y' {
		t.Fatalf("read after the driver's deadline was cleared: %d %q %v", n, buf[:n], err)
	}
}

// endsWithin runs io and returns its error, failing the test if it is
// still waiting after 10 s (far beyond what an interrupted call or a
// short I/O timeout takes, far below an I/O timeout of an hour).
func endsWithin(t *testing.T, io func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- io() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting for the server: a deadline was not honoured")
		return nil
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
