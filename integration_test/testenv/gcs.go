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
	// Downloads are routed by host name: the public host must be the
	// address clients use, so pick the port first.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: uint16(port), PublicHost: fmt.Sprintf("127.0.0.1:%d", port),
		InitialObjects: objects,
	})
	if err != nil {
		t.Fatalf("testenv: fake GCS: %v", err)
	}
	t.Cleanup(srv.Stop)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL(), "http://"))
	return srv
}
