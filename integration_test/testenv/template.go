package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildTemplate builds the template binary, the program users launch, into
// t's temp dir; the build cache makes that cheap once the test binary is
// built.
func BuildTemplate(t testing.TB) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the template: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "template")
	cmd := exec.Command(gobin, "build", "-o", bin, "github.com/revrepl/spanner-to-sourcedb/template")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./template: %v\n%s", err, out)
	}
	return bin
}
