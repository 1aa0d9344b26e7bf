package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLine builds the binary once and runs it as a user would: with
// --help, and with a misspelled flag and a bad value, which must each print
// one line and exit 2 (before anything connects to anything).
func TestCommandLine(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "revrepl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string // exact; stdout must then be empty
		stdout     []string
	}{
		{name: "help", args: []string{"--help"}, wantCode: 0,
			stdout: []string{"Usage: revrepl --name=value ...\n", "\nRequired parameters:\n", "\nCommon parameters:\n", "\nAdvanced parameters:\n",
				"\nRunner flags (Apache Beam; the default runner is prism", "more runner flags: revrepl --help-all\n"}},
		{name: "help-all", args: []string{"--help-all"}, wantCode: 0,
			stdout: []string{"\nRequired parameters:\n", "  --worker_zone string "}},
		{name: "misspelled flag", args: []string{"--runMod=x"}, wantCode: 2,
			wantStderr: "revrepl: unknown flag --runMod; did you mean --runMode?\n"},
		{name: "no parameters", args: nil, wantCode: 2,
			wantStderr: "revrepl: invalid parameters (revrepl --help describes them):\n" +
				"changeStreamName: value \"\" is missing: this parameter is required\n" +
				"instanceId: value \"\" is missing: this parameter is required\n" +
				"databaseId: value \"\" is missing: this parameter is required\n" +
				"spannerProjectId: value \"\" is missing: this parameter is required\n" +
				"metadataInstance: value \"\" is missing: this parameter is required\n" +
				"metadataDatabase: value \"\" is missing: this parameter is required\n" +
				"sourceShardsFilePath: value \"\" is missing: this parameter is required\n"},
		{name: "bad parameter value", args: append(required(), "--maxShardConnections=ten"), wantCode: 2,
			wantStderr: "revrepl: invalid parameter maxShardConnections: value \"ten\" is not a whole number\n"},
		{name: "bad runner flag value", args: []string{"--changeStreamName=cs", "--max_num_workers=ten"}, wantCode: 2,
			wantStderr: "revrepl: invalid value \"ten\" for --max_num_workers (int): parse error\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, tt.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if tt.wantStderr != "" {
				if stderr.String() != tt.wantStderr || stdout.Len() != 0 {
					t.Errorf("stderr %q, stdout %d bytes; want stderr %q and no stdout", stderr.String(), stdout.Len(), tt.wantStderr)
				}
				return
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
			out := stdout.String()
			last := -1
			for _, s := range tt.stdout {
				i := strings.Index(out, s)
				if i < 0 {
					t.Fatalf("stdout lacks %q:\n%s", s, out)
				}
				if i < last {
					t.Errorf("%q out of order in:\n%s", s, out)
				}
				last = i
			}
			if strings.Contains(out, "(required") {
				t.Errorf("help marks something (required...):\n%s", out)
			}
		})
	}
}

// required is every required parameter, set to a well-formed value.
func required() []string {
	return []string{"--changeStreamName=cs", "--instanceId=i", "--databaseId=d", "--spannerProjectId=p",
		"--metadataInstance=mi", "--metadataDatabase=md", "--sourceShardsFilePath=shards.json"}
}
