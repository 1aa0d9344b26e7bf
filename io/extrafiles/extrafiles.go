// Package extrafiles stages the files of extraFilesToStage (a CA
// certificate, typically) on the machine that runs the job: each worker,
// and the launcher, which connects to the shards at launch. As in the Java
// template they land in /extra_files, so connectionProperties can name
// them there (sslrootcert=/extra_files/ca.pem).
package extrafiles

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/revrepl/spanner-to-sourcedb/io/files"
)

// DefaultDir is where staged files go, and the folder connectionProperties
// name them under, whatever folder they really landed in (see Resolve).
const DefaultDir = "/extra_files"

// DirEnv overrides the folder files are staged in (tests, a machine where
// / is read-only). connectionProperties still name them /extra_files/...
const DirEnv = "REVREPL_EXTRA_FILES_DIR"

var (
	mu sync.Mutex
	// dir is the folder files were staged in, "" before the first Stage.
	dir string
	// staged maps a source path to its local copy, so that the DoFn
	// instances of one worker download each file once.
	staged = map[string]string{}
)

// Split parses extraFilesToStage: paths separated by commas, blanks
// around them ignored.
func Split(list string) []string {
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Check reports what is wrong with an extraFilesToStage list without
// reading anything: an entry that is not a file, or two entries that
// would land on the same local name.
func Check(list string) error {
	seen := map[string]string{}
	for _, p := range Split(list) {
		if strings.HasPrefix(p, "projects/") && strings.Contains(p, "/secrets/") {
			return fmt.Errorf("%s: Secret Manager entries are not supported; stage the file from Cloud Storage (gs://bucket/object)", p)
		}
		name := baseName(p)
		if name == "" || strings.HasSuffix(p, "/") {
			return fmt.Errorf("%s: not a file path", p)
		}
		if other, ok := seen[name]; ok {
			return fmt.Errorf("%s and %s would both be staged as %s/%s", other, p, DefaultDir, name)
		}
		seen[name] = p
	}
	return nil
}

func baseName(p string) string {
	if rest, ok := strings.CutPrefix(p, "gs://"); ok {
		_, object, _ := strings.Cut(rest, "/")
		if object == "" {
			return ""
		}
		return path.Base(object)
	}
	return filepath.Base(p)
}

// Stage copies every file of the extraFilesToStage list (gs:// or local
// paths) into the staging folder under its base name, once per process,
// and returns the folder ("" for an empty list, which creates nothing).
// A missing or unreadable file fails, naming it.
func Stage(ctx context.Context, list string) (string, error) {
	if err := Check(list); err != nil {
		return "", fmt.Errorf("extraFilesToStage: %w", err)
	}
	if len(Split(list)) == 0 {
		return "", nil
	}
	mu.Lock()
	defer mu.Unlock()
	d, err := stagingDir()
	if err != nil {
		return "", fmt.Errorf("extraFilesToStage: %w", err)
	}
	for _, src := range Split(list) {
		if _, ok := staged[src]; ok {
			continue
		}
		b, err := files.Read(ctx, src)
		if err != nil {
			return "", fmt.Errorf("extraFilesToStage: %w", err)
		}
		dst := filepath.Join(d, baseName(src))
		if err := writeAtomic(dst, b); err != nil {
			return "", fmt.Errorf("extraFilesToStage: staging %s: %w", src, err)
		}
		staged[src] = dst
	}
	return d, nil
}

// stagingDir creates the folder on first use: DirEnv, else DefaultDir,
// else (no permission to create it) a folder under the temp dir.
func stagingDir() (string, error) {
	if dir != "" {
		return dir, nil
	}
	d := os.Getenv(DirEnv)
	if d == "" {
		d = DefaultDir
		if err := os.MkdirAll(d, 0o755); err != nil {
			d = filepath.Join(os.TempDir(), "extra_files")
		}
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("creating the staging folder %s: %w", d, err)
	}
	dir = d
	return d, nil
}

// writeAtomic writes through a temporary file and a rename, so that a
// reader never sees half a file.
func writeAtomic(dst string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(dst), ".staging-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), dst)
}

// Resolve returns where a file named in connectionProperties really is:
// a path under /extra_files/ is looked up in the folder files were staged
// in (which is /extra_files itself on Dataflow); other paths are kept.
func Resolve(p string) string {
	rest, ok := strings.CutPrefix(p, DefaultDir+"/")
	if !ok {
		return p
	}
	mu.Lock()
	d := dir
	mu.Unlock()
	if d == "" {
		d = os.Getenv(DirEnv)
	}
	if d == "" || d == DefaultDir {
		return p
	}
	return filepath.Join(d, rest)
}
