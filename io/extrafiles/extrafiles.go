// Package extrafiles stages the files of extraFilesToStage (a CA
// certificate, typically) on the machine that runs the job: each worker,
// and the launcher, which connects to the shards at launch. As in the Java
// template they land in /extra_files, so connectionProperties can name
// them there (sslrootcert=/extra_files/ca.pem).
package extrafiles

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

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
	// dir is the folder this process stages files in, "" before the
	// first Stage.
	dir string
	// staged maps a source path to its local copy, so that the DoFn
	// instances of one worker download each file once.
	staged = map[string]stagedFile{}
)

// stagedFile is a file this process staged: where, and the SHA-256 of what
// it wrote there.
type stagedFile struct {
	path string
	sum  [sha256.Size]byte
}

// defaultDir is DefaultDir; tests point it elsewhere.
var defaultDir = DefaultDir

// downloadTimeout bounds the reading of one file of the list.
var downloadTimeout = 5 * time.Minute

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
// A file staged before is staged again when its copy is gone or was
// changed since. Each file must be read within downloadTimeout. A
// missing or unreadable file fails, naming it.
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
		if f, ok := staged[src]; ok && f.intact() {
			continue
		}
		b, err := download(ctx, src)
		if err != nil {
			return "", fmt.Errorf("extraFilesToStage: %w", err)
		}
		dst := filepath.Join(d, baseName(src))
		if err := writeAtomic(dst, b); err != nil {
			return "", fmt.Errorf("extraFilesToStage: staging %s: %w", src, err)
		}
		staged[src] = stagedFile{path: dst, sum: sha256.Sum256(b)}
	}
	return d, nil
}

// intact reports whether the copy is still there as it was written.
func (f stagedFile) intact() bool {
	b, err := os.ReadFile(f.path)
	return err == nil && sha256.Sum256(b) == f.sum
}

// download reads src, giving up after downloadTimeout: the read goes on
// in the background (a local read cannot be interrupted), but Stage, and
// the DoFn Setup that called it, do not wait for it.
func download(ctx context.Context, src string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := files.Read(ctx, src)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: not read within %s: %w", src, downloadTimeout, ctx.Err())
	}
}

// stagingDir creates the folder on first use:
//
//   - DirEnv set: a new private folder (0700) inside it, so that two
//     runs sharing DirEnv never read each other's files;
//   - else DefaultDir (/extra_files, as the Java template; on Dataflow one
//     job runs per worker VM), if this process can create it and it
//     belongs to this user or root and only its owner may write to it;
//   - else (a local run without root) a new private folder (0700) in the
//     temp dir, never a shared one another user could have made first.
func stagingDir() (string, error) {
	if dir != "" {
		return dir, nil
	}
	if b := os.Getenv(DirEnv); b != "" {
		if err := os.MkdirAll(b, 0o755); err != nil {
			return "", fmt.Errorf("creating the staging folder %s: %w", b, err)
		}
		d, err := os.MkdirTemp(b, "run-*")
		if err != nil {
			return "", fmt.Errorf("creating a staging folder in %s: %w", b, err)
		}
		dir = d
		return d, nil
	}
	if err := os.MkdirAll(defaultDir, 0o755); err == nil && ownedHere(defaultDir) {
		dir = defaultDir
		return dir, nil
	}
	d, err := os.MkdirTemp("", "revrepl-extra_files-*")
	if err != nil {
		return "", fmt.Errorf("creating a staging folder in %s: %w", os.TempDir(), err)
	}
	dir = d
	return d, nil
}

// ownedHere reports whether d is a folder of this user (or root) that no
// one else may write to.
func ownedHere(d string) bool {
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && (int(st.Uid) == os.Geteuid() || st.Uid == 0)
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

// Resolve returns where a file named in connectionProperties really is.
// A path under /extra_files/ is the copy this process staged under that
// name (extraFilesToStage); a name this process did not stage is looked
// up only in the real /extra_files, and only when no DirEnv redirects
// staging and that folder belongs to root (or this user) and no one else
// may write to it, as on a Dataflow worker. Anything else is an error:
// a shared folder (DirEnv's parent, a temp dir) may hold files another
// user put there. Other paths are kept.
func Resolve(p string) (string, error) {
	rest, ok := strings.CutPrefix(p, DefaultDir+"/")
	if !ok {
		return p, nil
	}
	mu.Lock()
	defer mu.Unlock()
	for _, f := range staged {
		if filepath.Base(f.path) == rest {
			return f.path, nil
		}
	}
	if os.Getenv(DirEnv) == "" && (dir == "" || dir == defaultDir) && ownedHere(defaultDir) {
		return filepath.Join(defaultDir, rest), nil
	}
	return "", fmt.Errorf("%s is not listed in extraFilesToStage (only the files it lists are looked up under %s/)", p, DefaultDir)
}
