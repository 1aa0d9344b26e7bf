package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail
}

// summary turns a `go test -json` stream into human output and counts.
type summary struct {
	out io.Writer
	// output buffered per test (package + " " + test) until it ends:
	// printed only if it fails, as plain `go test` does.
	buf                     map[string][]string
	passed, failed, skipped []string
	failedTests             map[string]bool // by package
	brokenPkgs              []string        // failed with no failing test
	notJSON                 bool
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, buf: map[string][]string{}, failedTests: map[string]bool{}}
}

// line handles one input line. Lines that are not test2json events (go
// command errors before any package runs) are printed as they are and
// count as a failure.
func (s *summary) line(b []byte) {
	var e event
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil {
		fmt.Fprintf(s.out, "%s\n", b)
		s.notJSON = true
		return
	}
	id := e.Package + "." + e.Test
	switch e.Action {
	case "build-output":
		io.WriteString(s.out, e.Output)
	case "output":
		if e.Test != "" {
			s.buf[id] = append(s.buf[id], e.Output)
		} else if e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "=== ") {
			io.WriteString(s.out, e.Output)
		}
	case "pass", "fail", "skip":
		if e.Test == "" {
			if e.Action == "fail" && !s.failedTests[e.Package] {
				s.brokenPkgs = append(s.brokenPkgs, e.Package)
			}
			return
		}
		switch e.Action {
		case "pass":
			s.passed = append(s.passed, id)
		case "skip":
			s.skipped = append(s.skipped, id)
		case "fail":
			s.failed = append(s.failed, id)
			s.failedTests[e.Package] = true
			for _, l := range s.buf[id] {
				if !strings.HasPrefix(l, "=== ") {
					io.WriteString(s.out, l)
				}
			}
		}
		delete(s.buf, id)
	}
}

// finish prints the counts and reports whether anything failed.
func (s *summary) finish() bool {
	// Tests that never ended (the binary died): print what they said.
	open := make([]string, 0, len(s.buf))
	for id := range s.buf {
		open = append(open, id)
	}
	sort.Strings(open)
	for _, id := range open {
		fmt.Fprintf(s.out, "--- %s did not finish:\n", id)
		for _, l := range s.buf[id] {
			io.WriteString(s.out, l)
		}
	}
	failed := append(append([]string{}, s.failed...), s.brokenPkgs...)
	if len(failed) > 0 {
		names := append([]string{}, s.failed...)
		for _, p := range s.brokenPkgs {
			names = append(names, p+" (package failed outside any test)")
		}
		fmt.Fprintf(s.out, "failed: %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(s.out, "%d passed, %d failed, %d skipped\n", len(s.passed), len(failed), len(s.skipped))
	if len(s.skipped) > 0 {
		fmt.Fprintf(s.out, "skipped: %s\n", strings.Join(s.skipped, ", "))
	}
	return len(failed) > 0 || s.notJSON
}
