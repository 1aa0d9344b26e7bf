// Package docs checks that the README and docs/ stay true: every relative
// link and anchor resolves, and every command they show names things that
// exist (make targets and variables, Go packages, scripts, template
// parameters and runner flags). Commands that need a cloud project cannot
// run here; what they name is checked instead.
package docs

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx" // registers the runner flags the binary accepts

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// doc is one Markdown file, relative to the repository root.
type doc struct {
	path string
	text string
}

func readDocs(t *testing.T) (root string, docs []doc) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append([]string{filepath.Join(root, "README.md")}, paths...)
	if len(paths) < 2 {
		t.Fatalf("no docs/*.md under %s", root)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		docs = append(docs, doc{path: rel, text: string(b)})
	}
	return root, docs
}

var (
	linkRe    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRe = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	fenceRe   = regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```")
)

// slug is GitHub's anchor for a heading: lower case, punctuation dropped,
// spaces to hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors lists the heading anchors of a document, code blocks excluded.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range headingRe.FindAllStringSubmatch(fenceRe.ReplaceAllString(text, ""), -1) {
		out[slug(m[1])] = true
	}
	return out
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Try it: `make demo`":           "try-it-make-demo",
		"Lag and the applied watermark": "lag-and-the-applied-watermark",
		"Names, types, SQL":             "names-types-sql",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every relative link points at a file of the repository and, with a
// fragment, at a heading of that file.
func TestLinksResolve(t *testing.T) {
	root, docs := readDocs(t)
	byPath := map[string]string{}
	for _, d := range docs {
		byPath[d.path] = d.text
	}
	for _, d := range docs {
		for _, m := range linkRe.FindAllStringSubmatch(d.text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			path := d.path
			if file != "" {
				path = filepath.Clean(filepath.Join(filepath.Dir(d.path), file))
				if _, err := os.Stat(filepath.Join(root, path)); err != nil {
					t.Errorf("%s: link %q: %s does not exist", d.path, target, path)
					continue
				}
			}
			if frag == "" {
				continue
			}
			text, ok := byPath[path]
			if !ok {
				t.Errorf("%s: link %q: anchors are only checked in Markdown docs", d.path, target)
				continue
			}
			if !anchors(text)[frag] {
				t.Errorf("%s: link %q: no heading #%s in %s", d.path, target, frag, path)
			}
		}
	}
}

// commands returns the shell commands of a document's sh code blocks, with
// continuation lines joined and comments dropped, each with its document.
func commands(d doc) []string {
	var out []string
	for _, m := range fenceRe.FindAllStringSubmatch(d.text, -1) {
		if m[1] != "sh" {
			continue
		}
		joined := strings.ReplaceAll(m[2], "\\\n", " ")
		for _, line := range strings.Split(joined, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			out = append(out, line)
		}
	}
	return out
}

var (
	makeTargetRe = regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]+(?: [A-Za-z0-9_.-]+)*):`)
	makeVarRe    = regexp.MustCompile(`(?m)^([A-Z_]+) *[?:]?=`)
	inlineMakeRe = regexp.MustCompile("`make ([a-z][a-z0-9-]*)")
	flagRe       = regexp.MustCompile(`(?:^|\s)--?([A-Za-z_][A-Za-z0-9_]*)(?:=|\s|$)`)
	paramRe      = regexp.MustCompile(`--parameters "(?:\^.\^)?([A-Za-z]+)=`)
)

// makefile returns the Makefile's targets and variables.
func makefile(t *testing.T, root string) (targets, vars map[string]bool) {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets, vars = map[string]bool{}, map[string]bool{}
	for _, m := range makeTargetRe.FindAllStringSubmatch(string(b), -1) {
		for _, name := range strings.Fields(m[1]) {
			targets[name] = true
		}
	}
	for _, m := range makeVarRe.FindAllStringSubmatch(string(b), -1) {
		vars[m[1]] = true
	}
	// Variables the Makefile reads without setting (DEMO_FLAGS, BENCH_FLAGS).
	for _, m := range regexp.MustCompile(`\$\(([A-Z_]+)\)|\$\$([A-Z_]+)`).FindAllStringSubmatch(string(b), -1) {
		if m[1] == "" {
			m[1] = m[2] // a recipe reading the variable from its environment
		}
		vars[m[1]] = true
	}
	return targets, vars
}

// Every command shown runs as written as far as can be checked offline:
// make targets and variables exist, go packages and scripts exist, the
// template binary's flags are parameters or runner flags, and gcloud's
// --parameters name real parameters.
func TestCommandsNameWhatExists(t *testing.T) {
	root, docs := readDocs(t)
	targets, vars := makefile(t, root)
	checked := 0
	for _, d := range docs {
		for _, m := range inlineMakeRe.FindAllStringSubmatch(d.text, -1) {
			if !targets[m[1]] {
				t.Errorf("%s: `make %s`: no such Makefile target", d.path, m[1])
			}
		}
		for _, cmd := range commands(d) {
			checked++
			fields := shellWords(cmd)
			switch {
			case fields[0] == "make":
				for _, f := range fields[1:] {
					if name, value, ok := strings.Cut(f, "="); ok {
						if !vars[name] {
							t.Errorf("%s: %q: the Makefile does not use %s", d.path, cmd, name)
						}
						checkPassedFlags(t, root, d.path, name, value)
					} else if !strings.HasPrefix(f, "-") && !targets[f] {
						t.Errorf("%s: %q: no Makefile target %s", d.path, cmd, f)
					}
				}
			case fields[0] == "go" && len(fields) > 2 && (fields[1] == "run" || fields[1] == "test"):
				for _, f := range fields[2:] {
					if strings.HasPrefix(f, "./") {
						dir := filepath.Join(root, strings.TrimSuffix(strings.TrimSuffix(f, "/..."), "/"))
						if st, err := os.Stat(dir); err != nil || !st.IsDir() {
							t.Errorf("%s: %q: package %s does not exist", d.path, cmd, f)
						}
					}
				}
				if fields[1] == "run" && fields[2] == "./template" {
					checkTemplateFlags(t, d.path, cmd)
				}
			case strings.HasPrefix(fields[0], "scripts/") || strings.HasPrefix(fields[0], "./scripts/"):
				if st, err := os.Stat(filepath.Join(root, fields[0])); err != nil || st.Mode()&0o111 == 0 {
					t.Errorf("%s: %q: %s is not an executable script", d.path, cmd, fields[0])
				}
			case strings.HasPrefix(cmd, "gcloud dataflow flex-template run"):
				for _, m := range paramRe.FindAllStringSubmatch(cmd, -1) {
					if _, ok := params.Lookup(m[1]); !ok {
						t.Errorf("%s: launch command passes unknown parameter %s", d.path, m[1])
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no sh commands found in the docs")
	}
}

// checkTemplateFlags checks each --flag of a `go run ./template` command is a
// template parameter or a flag the Beam runners register.
func checkTemplateFlags(t *testing.T, path, cmd string) {
	t.Helper()
	for _, m := range flagRe.FindAllStringSubmatch(strings.SplitN(cmd, "./template", 2)[1], -1) {
		name := m[1]
		if _, ok := params.Lookup(name); ok {
			continue
		}
		if flag.Lookup(name) != nil {
			continue
		}
		t.Errorf("%s: %q: --%s is neither a template parameter nor a runner flag", path, cmd, name)
	}
}

// shellWords splits a command line into words as the shell would for the
// simple quoting the docs use (single and double quotes, no escapes, a
// trailing # comment).
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '#' && !inWord:
			return words // a comment runs to the end of the line
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func TestShellWords(t *testing.T) {
	got := strings.Join(shellWords(`make bench BENCH_FLAGS="--rate 2000 --duration 30s" X='a b'  # a#b`), "|")
	if want := "make|bench|BENCH_FLAGS=--rate 2000 --duration 30s|X=a b"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// checkPassedFlags checks the flags in a Makefile variable that the Makefile
// hands to a Go command (DEMO_FLAGS to ./integration_test/cmd/demo) against
// the flags that command defines.
func checkPassedFlags(t *testing.T, root, path, variable, value string) {
	t.Helper()
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`run (\./\S+) \$\(` + variable + `\)`).FindSubmatch(mk)
	if m == nil {
		return // not a flags variable
	}
	defined := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, string(m[1]), "*.go"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range regexp.MustCompile(`flag\.\w+\((?:&\w+, )?"([\w-]+)"`).FindAllSubmatch(src, -1) {
			defined[string(d[1])] = true
		}
	}
	if len(defined) == 0 {
		t.Errorf("%s: %s: found no flags defined in %s", path, variable, m[1])
		return
	}
	for _, w := range shellWords(value) {
		if !strings.HasPrefix(w, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !defined[name] {
			t.Errorf("%s: %s=%q: %s defines no flag --%s", path, variable, value, m[1], name)
		}
	}
}
