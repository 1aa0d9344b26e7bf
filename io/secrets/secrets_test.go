package secrets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/secrets"
	"github.com/revrepl/spanner-to-sourcedb/io/secrets/secrettest"
)

func TestVersionName(t *testing.T) {
	tests := []struct {
		uri, want, wantErr string
	}{
		{uri: "projects/p/secrets/s", want: "projects/p/secrets/s/versions/latest"},
		{uri: "projects/p/secrets/s/", want: "projects/p/secrets/s/versions/latest"},
		{uri: "projects/123/secrets/pw/versions/7", want: "projects/123/secrets/pw/versions/7"},
		{uri: "projects/p/secrets/s/versions/latest/", want: "projects/p/secrets/s/versions/latest"},
		{uri: "secrets/s", wantErr: `"secrets/s" does not match`},
		{uri: "projects/p/secrets/", wantErr: "does not match"},
		{uri: "projects/p/secrets/s/versions/", wantErr: "does not match"},
		{uri: "projects/p/secrets/s/extra", wantErr: "does not match"},
		{uri: "projects/p/secrets/s/versions/1/x", wantErr: "does not match"},
	}
	for _, tt := range tests {
		got, err := secrets.VersionName(tt.uri)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("VersionName(%q) error = %v, want it to contain %q", tt.uri, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("VersionName(%q) = %q, %v; want %q", tt.uri, got, err, tt.want)
		}
	}
}

func TestClientAgainstFake(t *testing.T) {
	fake := secrettest.Start(t, map[string]string{"projects/p/secrets/pw/versions/latest": "s3cret"})
	ctx := context.Background()
	c, err := secrets.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Access(ctx, "projects/p/secrets/pw/versions/latest")
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("Access = %q, %v; want s3cret", got, err)
	}
	_, err = c.Access(ctx, "projects/p/secrets/missing/versions/latest")
	if err == nil || !strings.Contains(err.Error(), "no such secret or version") ||
		!strings.Contains(err.Error(), "projects/p/secrets/missing/versions/latest") {
		t.Fatalf("missing secret error = %v, want it to name the secret and say it does not exist", err)
	}
	if n := len(fake.Accessed()); n != 2 {
		t.Errorf("fake saw %d calls, want 2", n)
	}
}
