package testenv

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// FakeGCS starts an in-process Cloud Storage fake holding objects and
// points STORAGE_EMULATOR_HOST at it for t, so that gs:// paths read
// through Beam's file system (io/files) reach it.
func FakeGCS(t testing.TB, objects ...fakestorage.Object) *fakestorage.Server {
	t.Helper()
	return FakeGCSWith(t, fakestorage.Options{InitialObjects: objects})
}

// FakeGCSWith is FakeGCS with more of the fake's options (events, say);
// the address options are its own.
func FakeGCSWith(t testing.TB, opts fakestorage.Options) *fakestorage.Server {
	t.Helper()
	// Downloads are routed by host name: the public host must be the
	// address clients use, so pick the port first.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts.Scheme, opts.Host, opts.Port, opts.PublicHost = "http", "127.0.0.1", uint16(port), fmt.Sprintf("127.0.0.1:%d", port)
	srv, err := fakestorage.NewServerWithOptions(opts)
	if err != nil {
		t.Fatalf("testenv: fake GCS: %v", err)
	}
	t.Cleanup(srv.Stop)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL(), "http://"))
	return srv
}
