// Command genparams regenerates the files derived from the parameter
// definitions in template/params: metadata.json and the generated sections of
// README.md. Run it from the repository root:
//
//	go run ./template/cmd/genparams
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/revrepl/spanner-to-sourcedb/template/params"
)

func main() {
	root := flag.String("root", ".", "repository root holding metadata.json and README.md")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*root); err != nil {
		log.Fatalf("genparams: %v", err)
	}
}

func run(root string) error {
	md, err := params.Metadata()
	if err != nil {
		return err
	}
	if err := writeIfChanged(filepath.Join(root, "metadata.json"), md); err != nil {
		return err
	}

	readmePath := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(readmePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// The README is hand-written; creating one here would only produce
		// an orphan with generated sections and no prose.
		log.Printf("%s: not found, skipped", readmePath)
		return nil
	case err != nil:
		return fmt.Errorf("reading README: %w", err)
	case !params.HasReadmeMarkers(readme):
		log.Printf("%s: no %s or %s markers, left unchanged", readmePath, params.ParamsBegin, params.LaunchBegin)
		return nil
	}
	return writeIfChanged(readmePath, params.RewriteReadme(readme))
}

// writeIfChanged avoids touching files whose content is already current, so
// running the generator does not dirty timestamps or trigger rebuilds.
func writeIfChanged(path string, content []byte) error {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, content) {
		log.Printf("%s: up to date", path)
		return nil
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	log.Printf("%s: written", path)
	return nil
}
