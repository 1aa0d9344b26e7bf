// Command testsummary reads `go test -json` on standard input and prints
// what a plain `go test` would (package ok/FAIL lines, the output of
// failing tests, build errors), then a count of the tests:
//
//	N passed, N failed, N skipped
//
// alone on its line, followed by a line naming the skipped tests when
// there are any, so that skips cannot hide in a green run. Subtests count
// as tests. A package that fails with no failing test (a build failure, a
// panic or a timeout outside any test) counts as one failure. It exits 1
// when anything failed. Used by `make test`:
//
//	go test -json ./... | go run ./integration_test/cmd/testsummary
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

func main() {
	s := newSummary(os.Stdout)
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if s.finish() {
		os.Exit(1)
	}
}

// read feeds every line of r to the summary.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		s.line(sc.Bytes())
	}
	return sc.Err()
}
