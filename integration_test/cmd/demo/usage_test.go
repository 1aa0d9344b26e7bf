package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

// --help lists each of the demo's flags on one line, with its default, and
// none of the Beam SDK's flags the binary also accepts.
func TestUsageListsEachFlagOnOneLine(t *testing.T) {
	var buf bytes.Buffer
	flag.CommandLine.SetOutput(&buf)
	defer flag.CommandLine.SetOutput(nil)
	usage()
	lines := strings.Split(buf.String(), "\n")
	for _, name := range demoFlags {
		var found []string
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "--"+name+"=") || strings.TrimSpace(l) == "--"+name || strings.HasPrefix(strings.TrimSpace(l), "--"+name+" ") {
				found = append(found, l)
			}
		}
		if len(found) != 1 {
			t.Errorf("--%s: %d lines in --help, want 1:\n%s", name, len(found), buf.String())
			continue
		}
		if f := flag.Lookup(name); !strings.Contains(found[0], f.Usage) {
			t.Errorf("--%s line %q lacks its description %q", name, found[0], f.Usage)
		}
	}
	if strings.Contains(buf.String(), "--runner") || strings.Contains(buf.String(), "--endpoint") {
		t.Errorf("--help lists Beam's flags:\n%s", buf.String())
	}
}
