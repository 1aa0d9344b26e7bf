package params

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// help renders WriteHelp for the flag set of commandLine.
func help(t *testing.T, all bool) string {
	t.Helper()
	fs, _ := commandLine()
	var b strings.Builder
	if err := WriteHelp(&b, fs, all); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sections splits help text into its sections by title line (a line that
// does not start with a space and ends in ':').
func sections(text string) (titles []string, body map[string][]string) {
	body = map[string][]string{}
	cur := ""
	for _, line := range strings.Split(text, "\n") {
		switch {
		case line == "":
		case !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":"):
			cur = line
			titles = append(titles, cur)
		case cur != "" && strings.HasPrefix(line, "  --"):
			body[cur] = append(body[cur], line)
		}
	}
	return titles, body
}

const runnerTitle = "Runner flags (Apache Beam; the default runner is prism, which runs the pipeline in this process):"

func TestHelpSectionsInOrder(t *testing.T) {
	for _, all := range []bool{false, true} {
		titles, _ := sections(help(t, all))
		want := []string{"Required parameters:", "Common parameters:", "Advanced parameters:", runnerTitle}
		if !slices.Equal(titles, want) {
			t.Errorf("all=%v: sections %q, want %q", all, titles, want)
		}
	}
}

// Every parameter is listed once, on one line, in the section of its group,
// in definition order; no runner flag is listed among them.
func TestHelpListsEveryParameterInItsGroup(t *testing.T) {
	_, body := sections(help(t, false))
	for _, g := range Groups {
		var got, want []string
		for _, line := range body[g.String()+":"] {
			got = append(got, strings.TrimPrefix(strings.Fields(line)[0], "--"))
		}
		for _, p := range Definitions() {
			if p.Group() == g {
				want = append(want, p.Name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", g, got, want)
		}
	}
}

func TestHelpParameterLines(t *testing.T) {
	text := help(t, false)
	tests := []struct {
		param string
		line  string // a regexp for the whole line
	}{
		{ChangeStreamName, `--changeStreamName string +Name of the Spanner change stream to replicate from\.`},
		{SourceShardsFilePath, `--sourceShardsFilePath path +Path \(gs://bucket/object or a local path\) of the JSON file .*\.`},
		{StartTimestamp, `--startTimestamp timestamp +RFC 3339 timestamp \(for example 2024-05-01T10:00:00Z\) of the first change to replicate, inclusive\.`},
		{MaxShardConnections, `--maxShardConnections int +Upper limit .* \(default 10000\)`},
		{RunMode, `--runMode regular\|retryDLQ\|retryAllDLQ\|verify +regular replicates .* \(default regular\)`},
		{SourceType, `--sourceType mysql\|postgresql +Kind of database the changes are written to: .* \(default mysql\)`}, // rejected values not offered
		{IsShardedMigration, `--isShardedMigration true\|false +Set to true .* \(default false\)`},
		{SourceDbTimezoneOffset, `--sourceDbTimezoneOffset offset +UTC offset, .* \(default \+00:00\)`},
		{DlqGcsPubSubSubscription, `--dlqGcsPubSubSubscription subscription +Subscription \(projects/<project>/subscriptions/<subscription>\) .*directory\.`},
		{DlqMaxRetryCount, `--dlqMaxRetryCount int +How many times .* moved to severe/\. \(default 500\)`}, // second sentence ("0 retries forever.") dropped
	}
	for _, tt := range tests {
		re := regexp.MustCompile(`(?m)^  ` + tt.line + `$`)
		if !re.MatchString(text) {
			t.Errorf("%s: no line matching %s", tt.param, re)
		}
	}
	// Required is a section, not a note on each line.
	if strings.Contains(text, "(required") {
		t.Errorf("help says (required...) somewhere:\n%s", text)
	}
}

func TestHelpRunnerFlags(t *testing.T) {
	tests := []struct {
		all       bool
		want      []string // regexps of lines in the runner section
		notListed []string // flags that must not be listed
		footer    bool     // "N more runner flags: revrepl --help-all"
	}{
		{all: false,
			want: []string{
				`--runner string +Where the pipeline runs: prism .* \(default prism\)`,
				`--region string +Region of the Dataflow job, for example us-central1\.`,
				`--max_num_workers int +Most Dataflow workers .*`,
				`--dry_run +Dataflow runner: print the job instead of submitting it\.`,
			},
			notListed: []string{"zone", "id", "element_processing_timeout"},
			footer:    true},
		{all: true,
			want: []string{
				`--runner string +Where the pipeline runs: .* \(default prism\)`,
				`--zone string +GCP zone`, // "(optional)" dropped
				`--id string +Local identifier \(set by the Beam worker harness\)\.`, // "(required in worker mode)" reworded
				`--element_processing_timeout duration +The time limit for any PTransform\. \(default -1ns\)`,
			}},
	}
	for _, tt := range tests {
		text := help(t, tt.all)
		_, body := sections(text)
		runner := body[runnerTitle]
		section := strings.Join(runner, "\n")
		for _, w := range tt.want {
			if !regexp.MustCompile(`(?m)^  ` + w + `$`).MatchString(section) {
				t.Errorf("all=%v: no runner line matching %s in\n%s", tt.all, w, section)
			}
		}
		for _, name := range tt.notListed {
			if strings.Contains(section, "--"+name+" ") {
				t.Errorf("all=%v: --%s listed", tt.all, name)
			}
		}
		for _, line := range runner {
			if strings.Contains(line, "(required") || strings.Contains(line, "(optional") {
				t.Errorf("all=%v: runner flag marked required/optional: %s", tt.all, line)
			}
			name := strings.TrimPrefix(strings.Fields(line)[0], "--")
			if _, isParam := Lookup(name); isParam {
				t.Errorf("all=%v: parameter %s listed as a runner flag", tt.all, name)
			}
		}
		// commandLine declares 8 runner flags; 5 of them are curated.
		footer := strings.Contains(text, "\n3 more runner flags: revrepl --help-all\n")
		if footer != tt.footer {
			t.Errorf("all=%v: footer present = %v, want %v:\n%s", tt.all, footer, tt.footer, text)
		}
		if tt.all && len(runner) != 8 {
			t.Errorf("all=true: %d runner flags listed, want 8", len(runner))
		}
	}
}

func TestHelpStartsWithUsage(t *testing.T) {
	if text := help(t, false); !strings.HasPrefix(text, "Usage: revrepl --name=value ...\n") {
		t.Errorf("help starts with %q", strings.SplitN(text, "\n", 2)[0])
	}
}

func TestFirstSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"One. Two.", "One."},
		{"No full stop", "No full stop"},
		{"Ends here.", "Ends here."},
		{"Retried 3 times. 0 retries forever.", "Retried 3 times."},
		{"Path (gs://a.b or x.y) of a file. More.", "Path (gs://a.b or x.y) of a file."},
		{"For example [{a. b}] stays. Next.", "For example [{a. b}] stays."},
	}
	for _, tt := range tests {
		if got := firstSentence(tt.in); got != tt.want {
			t.Errorf("firstSentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
