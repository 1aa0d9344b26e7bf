package postgresql

import (
	"errors"
	"net"
	"testing"
	"time"
)

// TestDeadlineConnHonoursTheDriversDeadline: pgx interrupts a statement
// whose context ended by setting a deadline in the past on the connection
// (pgconn.DeadlineContextWatcherHandler), and clears it once the
// statement is over. A deadline set between two reads or writes must end
// the next one at once, not be replaced by its own I/O timeout, which
// would wait for the server that long.
func TestDeadlineConnHonoursTheDriversDeadline(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	c := &deadlineConn{Conn: client, timeout: time.Hour}
	defer c.Close()
	past := time.Now().Add(-time.Second)
	for _, tc := range []struct {
		name string
		set  func(time.Time) error
		io   func() error
	}{
		{"read after SetDeadline", c.SetDeadline, func() error { _, err := c.Read(make([]byte, 1)); return err }},
		{"read after SetReadDeadline", c.SetReadDeadline, func() error { _, err := c.Read(make([]byte, 1)); return err }},
		{"write after SetDeadline", c.SetDeadline, func() error { _, err := c.Write([]byte("x")); return err }},
		{"write after SetWriteDeadline", c.SetWriteDeadline, func() error { _, err := c.Write([]byte("x")); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.set(past); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := tc.set(time.Time{}); err != nil {
					t.Fatal(err)
				}
			}()
			if err := endsWithin(t, tc.io); !isTimeout(err) {
				t.Fatalf("got %v, want the driver's deadline (a timeout)", err)
			}
		})
	}
	// Once the driver clears its deadline, only the I/O timeout bounds
	// a read: it waits for the server's data.
	go func() { _, _ = server.Write([]byte("y")) }()
	buf := make([]byte, 1)
	if n, err := c.Read(buf); n != 1 || err != nil || buf[0] != 'y' {
		t.Fatalf("read after the driver's deadline was cleared: %d %q %v", n, buf[:n], err)
	}
}

// TestDeadlineConnDriversDeadlineInterruptsARead: a deadline the driver
// sets while a read waits ends it.
func TestDeadlineConnDriversDeadlineInterruptsARead(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	c := &deadlineConn{Conn: client, timeout: time.Hour}
	defer c.Close()
	err := endsWithin(t, func() error {
		go func() {
			time.Sleep(50 * time.Millisecond)
			_ = c.SetDeadline(time.Now())
		}()
		_, err := c.Read(make([]byte, 1))
		return err
	})
	if !isTimeout(err) {
		t.Fatalf("got %v, want the driver's deadline (a timeout)", err)
	}
}

// endsWithin runs io and returns its error, failing the test if it is
// still waiting after 10 s (far beyond what an interrupted call takes,
// far below the connection's I/O timeout of an hour).
func endsWithin(t *testing.T, io func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- io() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting for the server: the driver's deadline was not honoured")
		return nil
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
