// Package files reads whole configuration files (session files, schema
// overrides, WebAssembly modules) from Cloud Storage (gs://) or the local
// file system, through Beam's file systems.
package files

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"   // gs:// paths
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths
)

// MaxSize bounds what Read accepts: configuration files are small, and a
// wrong path (a data file) should fail clearly rather than fill memory.
const MaxSize = 256 << 20

// Read returns the content of the file at path. Errors name the path.
func Read(ctx context.Context, path string) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer fs.Close()
	size, err := fs.Size(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %w", path, err)
	}
	if size > MaxSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a configuration file may have", path, size, MaxSize)
	}
	b, err := filesystem.Read(ctx, fs, path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %w", path, err)
	}
	return b, nil
}
