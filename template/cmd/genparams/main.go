// Command genparams regenerates the files derived from the parameter
// definitions in pipeline/params: metadata.json and the generated sections of
// the README and docs/. Run it from the repository root:
//
//	go run ./template/cmd/genparams
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
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

	docs, err := params.GeneratedDocs(root)
	if err != nil {
		return err
	}
	for _, path := range docs {
		doc, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if err := writeIfChanged(path, params.RewriteReadme(doc)); err != nil {
			return err
		}
	}
	return nil
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
