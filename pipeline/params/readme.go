package params

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// README markers. The generator owns the text between each begin/end pair;
// everything else in the README is hand-written and left alone.
const (
	ParamsBegin = "<!-- params:begin -->"
	ParamsEnd   = "<!-- params:end -->"
	LaunchBegin = "<!-- launch:begin -->"
	LaunchEnd   = "<!-- launch:end -->"
)

// docGlobs are the documents, relative to the repository root, that may hold
// generated sections.
var docGlobs = []string{"README.md", "docs/*.md"}

// GeneratedDocs returns the documents under root that hold at least one
// generated section: the README's launch command and docs/parameters.md's
// table today. make metadata rewrites them and a test checks they are current.
func GeneratedDocs(root string) ([]string, error) {
	var out []string
	for _, g := range docGlobs {
		paths, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", g, err)
		}
		for _, p := range paths {
			doc, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", p, err)
			}
			if HasReadmeMarkers(doc) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

var mdEscaper = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

// MarkdownTable returns the README parameter table, one row per parameter in
// definition order, ending in a newline.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Parameter | Required | Default | Description |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, p := range Definitions() {
		required := "no"
		if p.Required {
			required = "yes"
		}
		def := ""
		if p.Default != "" {
			def = "`" + p.Default + "`"
		}
		desc := p.Description()
		if p.Kind == Enum {
			desc += " Values: `" + strings.Join(p.Enum, "`, `") + "`."
		}
		b.WriteString("| `" + p.Name + "` | " + required + " | " + def + " | " + mdEscaper.Replace(desc) + " |\n")
	}
	return b.String()
}

// LaunchCommand returns a gcloud command that launches the template with
// every parameter: required ones as UPPER_CASE placeholders, optional ones
// set to their defaults (empty where the default is "not set"), so the
// command runs once the placeholders are filled in. It ends in a newline.
// --max-workers is always there: it caps autoscaling, and
// maxShardConnections is divided by it to size each worker's pools.
func LaunchCommand() string {
	lines := []string{
		`gcloud dataflow flex-template run "spanner-to-sourcedb-job"`,
		`  --project "PROJECT"`,
		`  --region "REGION"`,
		`  --template-file-gcs-location "TEMPLATE_SPEC_GCSPATH"`,
		`  --max-workers "MAX_WORKERS"`,
	}
	for _, p := range Definitions() {
		v := p.Default
		if p.Required {
			v = Placeholder(p.Name)
		}
		lines = append(lines, `  --parameters "`+p.Name+"="+v+`"`)
	}
	return "# Replace the UPPER_CASE placeholders. Optional parameters show their defaults;\n" +
		"# drop the ones you keep at the default. Each worker opens at most\n" +
		"# maxShardConnections / MAX_WORKERS connections to each shard.\n" +
		strings.Join(lines, " \\\n") + "\n"
}

// Placeholder turns a parameter name into the UPPER_SNAKE_CASE placeholder
// used in the user guide, e.g. dlqGcsPubSubSubscription ->
// DLQ_GCS_PUB_SUB_SUBSCRIPTION.
func Placeholder(name string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range name {
		if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
		prev = r
	}
	return b.String()
}

// HasReadmeMarkers reports whether readme contains at least one complete
// begin/end marker pair, i.e. whether RewriteReadme would manage anything.
func HasReadmeMarkers(readme []byte) bool {
	return hasPair(readme, ParamsBegin, ParamsEnd) || hasPair(readme, LaunchBegin, LaunchEnd)
}

// RewriteReadme returns readme with the generated sections replaced by the
// current MarkdownTable and LaunchCommand. A section whose markers are
// missing is left as it is; the result equals the input when nothing is
// stale, which is how the staleness test and the generator detect changes.
func RewriteReadme(readme []byte) []byte {
	out := replaceBetween(readme, ParamsBegin, ParamsEnd, MarkdownTable())
	return replaceBetween(out, LaunchBegin, LaunchEnd, "```sh\n"+LaunchCommand()+"```\n")
}

func hasPair(doc []byte, begin, end string) bool {
	i := bytes.Index(doc, []byte(begin))
	return i >= 0 && bytes.Contains(doc[i+len(begin):], []byte(end))
}

// replaceBetween puts content on its own lines between the first begin marker
// and the first end marker after it.
func replaceBetween(doc []byte, begin, end, content string) []byte {
	i := bytes.Index(doc, []byte(begin))
	if i < 0 {
		return doc
	}
	start := i + len(begin)
	j := bytes.Index(doc[start:], []byte(end))
	if j < 0 {
		return doc
	}
	var out bytes.Buffer
	out.Write(doc[:start])
	out.WriteString("\n")
	out.WriteString(content)
	out.Write(doc[start+j:])
	return out.Bytes()
}
