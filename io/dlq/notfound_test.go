package dlq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"cloud.google.com/go/storage"
)

func TestIsNotFound(t *testing.T) {
	dir := t.TempDir()
	_, missing := ReadFile(context.Background(), filepath.Join(dir, "gone.json"))
	unreadable := filepath.Join(dir, "unreadable")
	if err := os.Mkdir(unreadable, 0o755); err != nil {
		t.Fatal(err)
	}
	_, isDir := ReadFile(context.Background(), unreadable) // reading a directory fails, not with "not found"
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"local file missing", missing, true},
		{"GCS object missing", fmt.Errorf("reading: %w", storage.ErrObjectNotExist), true},
		{"a directory", isDir, false},
		{"permission denied", os.ErrPermission, false},
		{"transient", errors.New("googleapi: Error 503: backend error"), false},
		{"no error", nil, false},
	}
	for _, tt := range tests {
		if got := IsNotFound(tt.err); got != tt.want {
			t.Errorf("%s: IsNotFound(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
