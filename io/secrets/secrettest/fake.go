// Package secrettest serves a small in-memory Secret Manager on a loopback
// gRPC port, for tests of code that reads secrets through secrets.Client.
package secrettest

import (
	"context"
	"net"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/io/secrets"
)

// Fake answers AccessSecretVersion from a map of full version names
// (projects/p/secrets/s/versions/v) to payloads; every other RPC is
// unimplemented.
type Fake struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer
	Addr string

	mu       sync.Mutex
	payloads map[string]string
	accessed []string
}

// Start serves the fake until t ends and points SECRET_MANAGER_EMULATOR_HOST
// at it (so t must not be parallel).
func Start(t testing.TB, payloads map[string]string) *Fake {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("secrettest: listen: %v", err)
	}
	f := &Fake{Addr: l.Addr().String(), payloads: payloads}
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, f)
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	t.Setenv(secrets.EmulatorHostEnv, f.Addr)
	return f
}

// AccessSecretVersion implements the RPC.
func (f *Fake) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accessed = append(f.accessed, req.GetName())
	p, ok := f.payloads[req.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", req.GetName())
	}
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name:    req.GetName(),
		Payload: &secretmanagerpb.SecretPayload{Data: []byte(p)},
	}, nil
}

// Accessed returns the version names asked for so far.
func (f *Fake) Accessed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.accessed...)
}
