package extrafiles

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// reset forgets what earlier tests staged.
func reset(t *testing.T, d string) {
	t.Helper()
	t.Setenv(DirEnv, d)
	mu.Lock()
	dir, staged = "", map[string]string{}
	mu.Unlock()
}

func TestStageFromGCSAndLocal(t *testing.T) {
	testenv.FakeGCS(t,
		fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "certs", Name: "shards/ca.pem"}, Content: []byte("CA PEM")},
	)
	local := filepath.Join(t.TempDir(), "client.cnf")
	if err := os.WriteFile(local, []byte("local"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(t.TempDir(), "staged")
	reset(t, d)

	got, err := Stage(context.Background(), " gs://certs/shards/ca.pem , "+local)
	if err != nil {
		t.Fatal(err)
	}
	if got != d {
		t.Errorf("staged in %s, want %s", got, d)
	}
	for name, want := range map[string]string{"ca.pem": "CA PEM", "client.cnf": "local"} {
		b, err := os.ReadFile(filepath.Join(d, name))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	if r := Resolve("/extra_files/ca.pem"); r != filepath.Join(d, "ca.pem") {
		t.Errorf("Resolve(/extra_files/ca.pem) = %s", r)
	}
	if r := Resolve("/etc/ssl/ca.pem"); r != "/etc/ssl/ca.pem" {
		t.Errorf("a path outside /extra_files changed: %s", r)
	}
	// A second Stage (another DoFn instance) downloads nothing again.
	if err := os.Remove(filepath.Join(d, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	if _, err := Stage(context.Background(), "gs://certs/shards/ca.pem"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "ca.pem")); err == nil {
		t.Error("the file was staged twice in one process")
	}
}

func TestStageMissingFile(t *testing.T) {
	testenv.FakeGCS(t, fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "certs", Name: "other"}, Content: []byte("x")})
	reset(t, t.TempDir())
	_, err := Stage(context.Background(), "gs://certs/missing.pem")
	if err == nil || !strings.Contains(err.Error(), "extraFilesToStage: gs://certs/missing.pem") {
		t.Fatalf("error %v, want one naming the parameter and the file", err)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct{ list, wantErr string }{
		{list: ""},
		{list: "gs://b/ca.pem, /local/client.pem"},
		{list: "gs://b/x/ca.pem,gs://c/ca.pem", wantErr: "would both be staged as /extra_files/ca.pem"},
		{list: "gs://b/", wantErr: "not a file path"},
		{list: "gs://b", wantErr: "not a file path"},
		{list: "projects/p/secrets/ca/versions/1", wantErr: "Secret Manager entries are not supported"},
	}
	for _, tt := range tests {
		err := Check(tt.list)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Check(%q) = %v, want %q", tt.list, err, tt.wantErr)
		}
	}
}

func TestStageNothing(t *testing.T) {
	d := filepath.Join(t.TempDir(), "never")
	reset(t, d)
	if got, err := Stage(context.Background(), " "); err != nil || got != "" {
		t.Fatalf("Stage(empty) = %q, %v", got, err)
	}
	if _, err := os.Stat(d); err == nil {
		t.Error("an empty list created the staging folder")
	}
}
