package params

import (
	"errors"
	"flag"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// commandLine is a flag set shaped like the binary's: the template's
// parameters plus runner flags declared the way Beam declares them, usage
// notes included.
func commandLine() (*flag.FlagSet, func() Values) {
	fs := flag.NewFlagSet("/some/dir/revrepl", flag.ExitOnError)
	values := Register(fs)
	fs.String("runner", "", "Pipeline runner.")
	fs.String("region", "", "GCP Region (required)")
	fs.String("project", "", "Google Cloud Platform project ID.")
	fs.Int64("max_num_workers", 0, "Maximum number of workers during scaling (optional).")
	fs.Bool("dry_run", false, "Dry run. Just print the job, but don't submit it.")
	fs.Duration("element_processing_timeout", -1, "The time limit for any PTransform.")
	fs.String("id", "", "Local identifier (required in worker mode).")
	fs.String("zone", "", "GCP zone (optional)")
	return fs, values
}

func TestParseCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		// Exactly one of these is set.
		want    error  // a sentinel: flag.ErrHelp, ErrHelpAll
		wantMsg string // a *UsageError's message
		ok      bool
	}{
		{name: "nothing", ok: true},
		{name: "parameters and runner flags", ok: true,
			args: []string{"--runMode=retryDLQ", "-instanceId", "i", "--runner", "prism", "--max_num_workers=3", "--dry_run", "--dry_run=false"}},
		// A template parameter is text until params.Parse checks it.
		{name: "bad parameter value is left to Parse", args: []string{"--maxShardConnections=lots"}, ok: true},
		{name: "positional arguments end the flags", args: []string{"--runMode=regular", "extra", "--runMod=x"}, ok: true},
		{name: "terminator ends the flags", args: []string{"--", "--runMod=x", "--help"}, ok: true},

		{name: "--help", args: []string{"--help"}, want: flag.ErrHelp},
		{name: "-h", args: []string{"-h"}, want: flag.ErrHelp},
		{name: "-help after a typo", args: []string{"--runMod=x", "-help"}, want: flag.ErrHelp},
		{name: "--help-all", args: []string{"--runMode=regular", "--help-all"}, want: ErrHelpAll},

		{name: "misspelled parameter", args: []string{"--runMod=x"},
			wantMsg: "unknown flag --runMod; did you mean --runMode?"},
		{name: "misspelled parameter, single dash, separate value", args: []string{"-changeStreamNam", "cs"},
			wantMsg: "unknown flag --changeStreamNam; did you mean --changeStreamName?"},
		{name: "wrong case", args: []string{"--instanceid=i"},
			wantMsg: "unknown flag --instanceid; did you mean --instanceId?"},
		{name: "misspelled runner flag after good ones", args: []string{"--runMode=regular", "--runner", "prism", "--maxNumWorkers=2"},
			wantMsg: "unknown flag --maxNumWorkers; did you mean --max_num_workers?"},
		{name: "nothing close", args: []string{"--colour=red"},
			wantMsg: "unknown flag --colour; --help lists the flags"},
		{name: "bad int", args: []string{"--max_num_workers=ten"},
			wantMsg: `invalid value "ten" for --max_num_workers (int): parse error`},
		{name: "bad int, separate value", args: []string{"--max_num_workers", "ten"},
			wantMsg: `invalid value "ten" for --max_num_workers (int): parse error`},
		{name: "bad bool", args: []string{"--dry_run=perhaps"},
			wantMsg: `invalid value "perhaps" for --dry_run (bool): parse error`},
		{name: "bad duration", args: []string{"--element_processing_timeout=5"},
			wantMsg: `invalid value "5" for --element_processing_timeout (duration): parse error`},
		{name: "missing value", args: []string{"--runMode=regular", "--runner"},
			wantMsg: "flag --runner needs a value: --runner=<string>"},
		{name: "missing parameter value", args: []string{"--runMode"},
			wantMsg: "flag --runMode needs a value: --runMode=<regular|retryDLQ|retryAllDLQ|verify>"},
		{name: "bad syntax", args: []string{"---runMode=regular"},
			wantMsg: `bad flag syntax "---runMode=regular"; flags are written --name=value`},
		{name: "empty name", args: []string{"-=x"},
			wantMsg: `bad flag syntax "-=x"; flags are written --name=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := commandLine()
			err := ParseCommandLine(fs, tt.args)
			switch {
			case tt.ok:
				if err != nil {
					t.Fatalf("ParseCommandLine(%q) = %v, want nil", tt.args, err)
				}
			case tt.want != nil:
				if !errors.Is(err, tt.want) {
					t.Fatalf("ParseCommandLine(%q) = %v, want %v", tt.args, err, tt.want)
				}
			default:
				var ue *UsageError
				if !errors.As(err, &ue) {
					t.Fatalf("ParseCommandLine(%q) = %v (%T), want a *UsageError", tt.args, err, err)
				}
				if ue.Error() != tt.wantMsg {
					t.Errorf("message\n got: %s\nwant: %s", ue.Error(), tt.wantMsg)
				}
			}
		})
	}
}

// A valid command line means what flag.Parse makes of it: the same values
// set and the same positional arguments left.
func TestParseCommandLineMatchesFlagParse(t *testing.T) {
	argLists := [][]string{
		{"--runMode=retryDLQ", "-instanceId", "i", "--runner", "prism", "--max_num_workers=3", "--dry_run"},
		{"--endTimestamp=", "--dry_run=false", "--project", "-p", "rest", "--runMode=x"},
		{"--sessionFilePath", "--runMode=regular"}, // a value may start with a dash
		{"--zone=z", "--", "--runner=x"},
		{"-", "--runner=x"},
	}
	for _, args := range argLists {
		mine, myValues := commandLine()
		if err := ParseCommandLine(mine, args); err != nil {
			t.Fatalf("ParseCommandLine(%q): %v", args, err)
		}
		std, stdValues := commandLine()
		if err := std.Parse(args); err != nil {
			t.Fatalf("flag.Parse(%q): %v", args, err)
		}
		if !maps.Equal(myValues(), stdValues()) {
			t.Errorf("%q: parameters %v, flag.Parse gives %v", args, myValues(), stdValues())
		}
		if got, want := setFlags(mine), setFlags(std); !maps.Equal(got, want) {
			t.Errorf("%q: flags set %v, flag.Parse sets %v", args, got, want)
		}
		if !slices.Equal(mine.Args(), std.Args()) {
			t.Errorf("%q: arguments left %q, flag.Parse leaves %q", args, mine.Args(), std.Args())
		}
		if !mine.Parsed() {
			t.Errorf("%q: flag set not marked parsed", args)
		}
	}
}

func setFlags(fs *flag.FlagSet) map[string]string {
	out := map[string]string{}
	fs.Visit(func(f *flag.Flag) { out[f.Name] = f.Value.String() })
	return out
}

// The whole point: an error is one line, whatever went wrong.
func TestParseCommandLineErrorsAreOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"--runMod=x"}, {"--max_num_workers=x"}, {"--runner"}, {"---x"}, {"--element_processing_timeout=1"},
	} {
		fs, _ := commandLine()
		err := ParseCommandLine(fs, args)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %q, want one line", args, err)
		}
	}
}

// The command line and Parse together, as the binary runs them.
func TestParseCommandLineThenParse(t *testing.T) {
	fs, values := commandLine()
	args := []string{"--runner=prism"}
	for k, v := range base() {
		args = append(args, "--"+k+"="+v)
	}
	if err := ParseCommandLine(fs, append(args, "--dlqRetryMinutes=3")); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(values(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.DlqRetryMinutes != 3 {
		t.Errorf("DlqRetryMinutes = %d, want 3", c.DlqRetryMinutes)
	}
}
