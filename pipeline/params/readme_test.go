package params

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestMarkdownTable(t *testing.T) {
	table := MarkdownTable()
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if lines[0] != "| Parameter | Required | Default | Description |" {
		t.Errorf("header = %q", lines[0])
	}
	defs := Definitions()
	if len(lines) != len(defs)+2 {
		t.Fatalf("%d lines, want %d", len(lines), len(defs)+2)
	}
	for i, p := range defs {
		row := lines[i+2]
		// Five pipes exactly: an unescaped | in a description would add cells.
		if n := strings.Count(row, "|") - strings.Count(row, `\|`); n != 5 {
			t.Errorf("%s: row has %d cell separators: %q", p.Name, n, row)
		}
		if !strings.HasPrefix(row, "| `"+p.Name+"` | ") {
			t.Errorf("row %d = %q, want %s first", i, row, p.Name)
		}
	}
	for _, s := range []string{
		"| `changeStreamName` | yes |  |",
		"| `shadowTablePrefix` | no | `shadow_` |",
		"projects/&lt;project&gt;/subscriptions",
		"Values: `LOW`, `MEDIUM`, `HIGH`.",
	} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q", s)
		}
	}
}

func TestLaunchCommand(t *testing.T) {
	cmd := LaunchCommand()
	for _, s := range []string{
		`gcloud dataflow flex-template run "spanner-to-sourcedb-job" \`,
		`--template-file-gcs-location "TEMPLATE_SPEC_GCSPATH" \`,
		// maxShardConnections is divided by it (pipeline.Workers).
		`--max-workers "MAX_WORKERS" \`,
		`--parameters "changeStreamName=CHANGE_STREAM_NAME" \`,
		`--parameters "sourceShardsFilePath=SOURCE_SHARDS_FILE_PATH" \`,
		`--parameters "shadowTablePrefix=shadow_" \`,
		`--parameters "sourceDbTimezoneOffset=+00:00" \`,
		`--parameters "endTimestamp=" \`,
		`--parameters "spannerPriority=HIGH" \`,
		`--parameters "disabledAlgorithms=" \`,
		`--parameters "verifyRepair=false"` + "\n",
	} {
		if !strings.Contains(cmd, s) {
			t.Errorf("command lacks %q:\n%s", s, cmd)
		}
	}
	for _, p := range Definitions() {
		if !strings.Contains(cmd, `"`+p.Name+"=") {
			t.Errorf("command lacks %s", p.Name)
		}
		// gcloud splits --parameters on commas, and the values sit inside
		// double quotes in a shell command.
		if strings.ContainsAny(p.Default, `,"$\`+"`") {
			t.Errorf("%s: default %q cannot be pasted into the command as is", p.Name, p.Default)
		}
	}
	if strings.HasSuffix(strings.TrimSuffix(cmd, "\n"), `\`) {
		t.Error("last line ends with a continuation")
	}
}

func TestPlaceholder(t *testing.T) {
	tests := map[string]string{
		"changeStreamName":         "CHANGE_STREAM_NAME",
		"instanceId":               "INSTANCE_ID",
		"dlqGcsPubSubSubscription": "DLQ_GCS_PUB_SUB_SUBSCRIPTION",
		"sourceDbTimezoneOffset":   "SOURCE_DB_TIMEZONE_OFFSET",
		"x":                        "X",
	}
	for in, want := range tests {
		if got := Placeholder(in); got != want {
			t.Errorf("Placeholder(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRewriteReadme(t *testing.T) {
	table := MarkdownTable()
	launch := "```sh\n" + LaunchCommand() + "```\n"
	tests := []struct {
		name, in, want string
	}{
		{
			name: "both sections",
			in:   "# T\n<!-- params:begin -->\nold\n<!-- params:end -->\ntext\n<!-- launch:begin -->\n<!-- launch:end -->\ntail\n",
			want: "# T\n<!-- params:begin -->\n" + table + "<!-- params:end -->\ntext\n<!-- launch:begin -->\n" + launch + "<!-- launch:end -->\ntail\n",
		},
		{
			name: "only the table",
			in:   "a <!-- params:begin --><!-- params:end --> b",
			want: "a <!-- params:begin -->\n" + table + "<!-- params:end --> b",
		},
		{name: "no markers", in: "# Title\nnothing here\n", want: "# Title\nnothing here\n"},
		{name: "begin without end", in: "<!-- launch:begin -->\nx\n", want: "<!-- launch:begin -->\nx\n"},
		{name: "end before begin", in: "<!-- params:end -->\n<!-- params:begin -->\n", want: "<!-- params:end -->\n<!-- params:begin -->\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RewriteReadme([]byte(tt.in))
			if string(got) != tt.want {
				t.Errorf("RewriteReadme =\n%s\nwant\n%s", got, tt.want)
			}
			if again := RewriteReadme(got); !bytes.Equal(again, got) {
				t.Error("RewriteReadme is not idempotent")
			}
		})
	}
}

func TestHasReadmeMarkers(t *testing.T) {
	tests := map[string]bool{
		"":                      false,
		"<!-- params:begin -->": false,
		"<!-- launch:end --><!-- launch:begin -->":     false,
		"<!-- launch:begin --><!-- launch:end -->":     true,
		"<!-- params:begin -->\n\n<!-- params:end -->": true,
	}
	for in, want := range tests {
		if got := HasReadmeMarkers([]byte(in)); got != want {
			t.Errorf("HasReadmeMarkers(%q) = %v, want %v", in, got, want)
		}
	}
}

// The generated sections of the README (launch command) and of
// docs/parameters.md (table) must match the definitions; both must exist.
func TestGeneratedDocsAreCurrent(t *testing.T) {
	docs, err := GeneratedDocs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, path := range docs {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(RewriteReadme(doc), doc) {
			t.Errorf("%s is stale: run make metadata", path)
		}
		if bytes.Contains(doc, []byte(ParamsBegin)) {
			found = append(found, "params")
		}
		if bytes.Contains(doc, []byte(LaunchBegin)) {
			found = append(found, "launch")
		}
	}
	if strings.Join(found, ",") != "launch,params" {
		t.Errorf("generated sections found %v in %v, want the launch command in README.md and the table in docs/parameters.md", found, docs)
	}
}

// The command must launch as printed once the placeholders are replaced:
// every value it passes, empty ones included, must pass Parse and the
// metadata regexes Dataflow checks first.
func TestLaunchCommandValuesAreValid(t *testing.T) {
	v := Values{}
	for _, line := range strings.Split(LaunchCommand(), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), `\`))
		kv, ok := strings.CutPrefix(line, `--parameters "`)
		if !ok {
			continue
		}
		name, value, _ := strings.Cut(strings.TrimSuffix(kv, `"`), "=")
		v[name] = value
		p, _ := Lookup(name)
		for _, re := range p.Regexes {
			if !regexp.MustCompile(re).MatchString(value) {
				t.Errorf("%s=%q does not match regex %q", name, value, re)
			}
		}
	}
	if len(v) != len(Definitions()) {
		t.Errorf("command passes %d parameters, want %d", len(v), len(Definitions()))
	}
	if _, err := Parse(v, testNow); err != nil {
		t.Errorf("Parse(values of the launch command): %v", err)
	}
}
