package main

import (
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantOut  string // the whole output
		wantFail bool
	}{
		{
			name: "pass and skip",
			in: `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: SKIPPED, SERVICE MISSING\n"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}
{"Action":"pass","Package":"p"}`,
			wantOut: "ok  \tp\t0.01s\n1 passed, 0 failed, 1 skipped\nskipped: p.TestB\n",
		},
		{
			name: "a failing subtest prints its output",
			in: `{"Action":"output","Package":"p","Test":"TestC/x","Output":"=== RUN   TestC/x\n"}
{"Action":"output","Package":"p","Test":"TestC/x","Output":"    c_test.go:3: boom\n"}
{"Action":"fail","Package":"p","Test":"TestC/x"}
{"Action":"fail","Package":"p","Test":"TestC"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}
{"Action":"fail","Package":"p"}`,
			wantOut:  "    c_test.go:3: boom\nFAIL\tp\t0.01s\nfailed: p.TestC/x, p.TestC\n0 passed, 2 failed, 0 skipped\n",
			wantFail: true,
		},
		{
			name: "build failure",
			in: `{"ImportPath":"q [q.test]","Action":"build-output","Output":"q/x.go:1:1: syntax error\n"}
{"ImportPath":"q [q.test]","Action":"build-fail"}
{"Action":"start","Package":"q"}
{"Action":"output","Package":"q","Output":"FAIL\tq [build failed]\n"}
{"Action":"fail","Package":"q"}`,
			wantOut:  "q/x.go:1:1: syntax error\nFAIL\tq [build failed]\nfailed: q (package failed outside any test)\n0 passed, 1 failed, 0 skipped\n",
			wantFail: true,
		},
		{
			name: "a panic ends the binary inside a test",
			in: `{"Action":"output","Package":"p","Test":"TestD","Output":"panic: oops\n"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}
{"Action":"fail","Package":"p"}`,
			wantOut:  "FAIL\tp\t0.01s\n--- p.TestD did not finish:\npanic: oops\nfailed: p (package failed outside any test)\n0 passed, 1 failed, 0 skipped\n",
			wantFail: true,
		},
		{
			name:     "not test2json",
			in:       "go: unknown flag -x",
			wantOut:  "go: unknown flag -x\n0 passed, 0 failed, 0 skipped\n",
			wantFail: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			s := newSummary(&out)
			if err := s.read(strings.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			if failed := s.finish(); failed != tt.wantFail {
				t.Errorf("finish() = %v, want %v", failed, tt.wantFail)
			}
			if out.String() != tt.wantOut {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.wantOut)
			}
		})
	}
}
