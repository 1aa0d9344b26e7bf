package dlq

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"   // gs:// DLQ directories
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local DLQ directories
)

// Directories under the DLQ root.
const (
	RetryDir  = "retry"
	SevereDir = "severe"
)

// Writer writes batches of DLQ lines, one new file per call, so concurrent
// workers never share a file. A reader never sees a partial file: a GCS
// object appears only once its upload completes, and a local file is
// written under a hidden name and renamed.
type Writer struct {
	Root string
}

// Write writes lines to a new file under sub (retry, severe, or a skip or
// filter directory name). retry and severe files go in a YYYY/MM/dd/HH/mm
// directory of the current UTC minute, as the Java template lays them out.
func (w Writer) Write(ctx context.Context, sub string, lines [][]byte) (string, error) {
	if len(lines) == 0 {
		return "", nil
	}
	dir := join(w.Root, sub)
	now := time.Now().UTC()
	if sub == RetryDir || sub == SevereDir {
		dir = join(dir, now.Format("2006/01/02/15/04"))
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	name := fmt.Sprintf("error-%s-%s.json", now.Format("20060102T150405.000000000"), hex.EncodeToString(id[:]))
	return w.writeFile(ctx, dir, name, lines)
}

// WriteNamed writes lines to the file name under sub, replacing it: the
// results of runMode=verify, beside the DLQ folders.
func (w Writer) WriteNamed(ctx context.Context, sub, name string, lines [][]byte) (string, error) {
	return w.writeFile(ctx, join(w.Root, sub), name, lines)
}

func (w Writer) writeFile(ctx context.Context, dir, name string, lines [][]byte) (string, error) {
	final := join(dir, name)
	fs, err := filesystem.New(ctx, final)
	if err != nil {
		return "", fmt.Errorf("DLQ directory %s: %w", w.Root, err)
	}
	defer fs.Close()
	target := final
	local := !strings.Contains(w.Root, "://")
	if local {
		target = join(dir, "."+name+".tmp")
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	wc, err := fs.OpenWrite(ctx, target)
	if err != nil {
		return "", fmt.Errorf("writing DLQ file %s: %w", final, err)
	}
	if _, err := wc.Write(buf.Bytes()); err != nil {
		wc.Close()
		return "", fmt.Errorf("writing DLQ file %s: %w", final, err)
	}
	if err := wc.Close(); err != nil {
		return "", fmt.Errorf("writing DLQ file %s: %w", final, err)
	}
	if local {
		r, ok := fs.(filesystem.Renamer)
		if !ok {
			return "", fmt.Errorf("DLQ directory %s: filesystem cannot rename", w.Root)
		}
		if err := r.Rename(ctx, target, final); err != nil {
			return "", fmt.Errorf("publishing DLQ file %s: %w", final, err)
		}
	}
	return final, nil
}

func join(dir, elem string) string {
	if i := strings.Index(dir, "://"); i >= 0 {
		return dir[:i+3] + path.Join(dir[i+3:], elem)
	}
	return path.Join(dir, elem)
}
