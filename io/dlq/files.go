package dlq

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
)

// File is a DLQ file found by List.
type File struct {
	Path    string
	ModTime time.Time
}

// SevereFilesBefore lists the severe/ files under root written before t,
// sorted: the files a retry run re-reads (later ones are its own
// re-failures).
func SevereFilesBefore(ctx context.Context, root string, t time.Time) ([]string, error) {
	files, err := List(ctx, root, SevereDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if f.ModTime.Before(t) {
			out = append(out, f.Path)
		}
	}
	sort.Strings(out)
	return out, nil
}

// List returns the complete DLQ files under root/sub, recursively. Files
// being written (hidden temporary names) are left out.
func List(ctx context.Context, root, sub string) ([]File, error) {
	dir := join(root, sub)
	if !strings.Contains(root, "://") {
		return listLocal(dir)
	}
	fsys, err := filesystem.New(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("DLQ directory %s: %w", dir, err)
	}
	defer fsys.Close()
	paths, err := fsys.List(ctx, strings.TrimSuffix(dir, "/")+"/**")
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var out []File
	for _, p := range paths {
		if !complete(p) {
			continue
		}
		f := File{Path: p}
		if lm, ok := fsys.(filesystem.LastModifiedGetter); ok {
			if f.ModTime, err = lm.LastModified(ctx, p); err != nil {
				return nil, fmt.Errorf("stat %s: %w", p, err)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func listLocal(dir string) ([]File, error) {
	var out []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() || !complete(p) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, File{Path: p, ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	return out, nil
}

// complete leaves out temporary files: ours are hidden (".name.tmp"), and
// the Java template's live under tmp_* directories or contain ".temp".
func complete(p string) bool {
	base := p[strings.LastIndex(p, "/")+1:]
	return base != "" && !strings.HasPrefix(base, ".") && !strings.Contains(p, "/tmp_") && !strings.Contains(p, ".temp")
}

// ReadFile returns a DLQ file's content.
func ReadFile(ctx context.Context, path string) ([]byte, error) {
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	return filesystem.Read(ctx, fsys, path)
}

// Remove deletes a consumed DLQ file.
func Remove(ctx context.Context, path string) error {
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fsys.Close()
	r, ok := fsys.(filesystem.Remover)
	if !ok {
		return fmt.Errorf("cannot delete %s: the filesystem has no delete", path)
	}
	return r.Remove(ctx, path)
}
