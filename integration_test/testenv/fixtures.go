package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// SharedFixturesDir is where the acceptance fixtures (the Java template's
// integration-test schemas and spanner-migration-tool's session files) are
// looked for, relative to the repository root (the directory holding
// go.mod). They are another project's files and not part of this
// repository; the tests that use them are an extra acceptance suite, while
// every other test reads only the repository's own testdata/ folders.
const SharedFixturesDir = "../shared/fixtures"

// RepoRoot returns the repository root: the nearest directory holding
// go.mod, walking up from the working directory (a test runs in its
// package's directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedFixtures returns the path of the shared acceptance fixtures joined
// with elem, after checking it exists. When it does not, t skips loudly, or
// fails when REVREPL_REQUIRE_SERVICES=1 or CI=true (see Unavailable), so a
// CI run cannot pass without the acceptance suite.
func SharedFixtures(t testing.TB, elem ...string) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		Unavailable(t, "shared fixtures: %v", err)
	}
	p := filepath.Join(append([]string{root, SharedFixturesDir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		Unavailable(t, "shared fixtures (%s, relative to the repository root): %v", filepath.Join(append([]string{SharedFixturesDir}, elem...)...), err)
	}
	return p
}

// required reports whether a missing service or fixture must fail tests:
// REVREPL_REQUIRE_SERVICES=1, or CI=true as CI systems set it.
func required() (bool, string) {
	if os.Getenv(RequireServicesEnv) == "1" {
		return true, RequireServicesEnv + "=1"
	}
	if os.Getenv("CI") == "true" {
		return true, "CI=true"
	}
	return false, ""
}
