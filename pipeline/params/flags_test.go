package params

import (
	"flag"
	"io"
	"maps"
	"strings"
	"testing"
)

func TestRegister(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Values
	}{
		{"nothing set", nil, Values{}},
		{
			"set and explicitly empty",
			[]string{"--changeStreamName=cs", "--endTimestamp=", "-maxShardConnections", "7"},
			Values{ChangeStreamName: "cs", EndTimestamp: "", MaxShardConnections: "7"},
		},
		// Bad values must survive flag parsing so Parse can report them all.
		{"bad values are kept as text", []string{"--isShardedMigration=maybe", "--dlqRetryMinutes=x"},
			Values{IsShardedMigration: "maybe", DlqRetryMinutes: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			values := Register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatalf("fs.Parse: %v", err)
			}
			if got := values(); !maps.Equal(got, tt.want) {
				t.Errorf("values() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRegisterDefinesEveryParameter(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	Register(fs)
	for _, p := range Definitions() {
		f := fs.Lookup(p.Name)
		if f == nil {
			t.Errorf("no flag for %s", p.Name)
			continue
		}
		if f.DefValue != p.Default {
			t.Errorf("%s: flag default %q, want %q", p.Name, f.DefValue, p.Default)
		}
		if p.Required != strings.HasPrefix(f.Usage, "(required)") {
			t.Errorf("%s: usage %q does not say whether it is required", p.Name, f.Usage)
		}
	}
}

// The flags and Parse together: what a launcher does.
func TestRegisterThenParse(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	values := Register(fs)
	var args []string
	for k, v := range base() {
		args = append(args, "--"+k+"="+v)
	}
	args = append(args, "--spannerPriority=MEDIUM")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(values(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.SpannerPriority != "MEDIUM" || c.ShadowTablePrefix != "shadow_" || c.ChangeStreamName != "allstream" {
		t.Errorf("unexpected config %+v", c)
	}
}
