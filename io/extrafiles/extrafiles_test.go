package extrafiles

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

// reset forgets what earlier tests staged and stages under d (DirEnv).
func reset(t *testing.T, d string) {
	t.Helper()
	t.Setenv(DirEnv, d)
	newProcess()
}

// mustResolve is Resolve for a name that must resolve.
func mustResolve(t *testing.T, p string) string {
	t.Helper()
	r, err := Resolve(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newProcess forgets what this process staged, as a new process would.
func newProcess() {
	mu.Lock()
	dir, staged = "", map[string]stagedFile{}
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
	if filepath.Dir(got) != d {
		t.Errorf("staged in %s, want a folder of its own in %s", got, d)
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("staging folder %s: %v, %v; want mode 0700", got, fi.Mode(), err)
	}
	for name, want := range map[string]string{"ca.pem": "CA PEM", "client.cnf": "local"} {
		b, err := os.ReadFile(filepath.Join(got, name))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	if r := mustResolve(t, "/extra_files/ca.pem"); r != filepath.Join(got, "ca.pem") {
		t.Errorf("Resolve(/extra_files/ca.pem) = %s", r)
	}
	if r, err := Resolve("/extra_files/other.pem"); err == nil || !strings.Contains(err.Error(), "/extra_files/other.pem is not listed in extraFilesToStage") {
		t.Errorf("Resolve(/extra_files/other.pem), not staged here, = %s, %v; want an error", r, err)
	}
	if r := mustResolve(t, "/etc/ssl/ca.pem"); r != "/etc/ssl/ca.pem" {
		t.Errorf("a path outside /extra_files changed: %s", r)
	}
	// A second Stage (another DoFn instance) downloads nothing again
	// while the copy is intact.
	copyPath := filepath.Join(got, "ca.pem")
	marker := time.Unix(1e9, 0)
	if err := os.Chtimes(copyPath, marker, marker); err != nil {
		t.Fatal(err)
	}
	if _, err := Stage(context.Background(), "gs://certs/shards/ca.pem"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(copyPath); err != nil || !fi.ModTime().Equal(marker) {
		t.Error("an intact file was staged twice in one process")
	}
	// A copy removed (a cleaner of the temp dir) or changed since is
	// staged again.
	for _, spoil := range []func() error{
		func() error { return os.Remove(copyPath) },
		func() error { return os.WriteFile(copyPath, []byte("another CA"), 0o600) },
	} {
		if err := spoil(); err != nil {
			t.Fatal(err)
		}
		if _, err := Stage(context.Background(), "gs://certs/shards/ca.pem"); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(copyPath); err != nil || string(b) != "CA PEM" {
			t.Errorf("after the copy was spoiled: %q, %v; want it staged again", b, err)
		}
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
