package localenv

import (
	"strings"
	"testing"
	"time"
)

// The progress line names its unit once and keeps each count in it: the
// demo's workload writes row changes and the pipeline counts row changes.
func TestProgressLine(t *testing.T) {
	tests := []struct {
		name          string
		p             Progress
		elapsed       time.Duration
		written, txns int64
		want          string
	}{
		{
			name: "before the first metrics",
			want: "[  0s] row changes: written 0 (0 txns), read 0, applied 0, older 0, filtered 0, DLQ retry/ 0, severe/ 0 | lag -",
		},
		{
			name:    "running",
			p:       Progress{Read: 910, Applied: 828, Older: 94, Filtered: 3, InRetry: 2, Severe: 1, Lag: 7123 * time.Millisecond},
			elapsed: 45200 * time.Millisecond, written: 921, txns: 760,
			want: "[ 45s] row changes: written 921 (760 txns), read 910, applied 828, older 94, filtered 3, DLQ retry/ 2, severe/ 1 | lag 7.1s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Line(tt.elapsed, tt.written, tt.txns); got != tt.want {
				t.Errorf("Line =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

// String is the pipeline's part of the line, with its unit.
func TestProgressString(t *testing.T) {
	p := Progress{Read: 5, Applied: 4, Older: 1}
	want := "row changes: read 5, applied 4, older 1, filtered 0, DLQ retry/ 0, severe/ 0 | lag -"
	if got := p.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// Every word of the line is explained in the legend printed before it.
func TestProgressLegendExplainsTheLine(t *testing.T) {
	for _, w := range []string{"written", "read", "applied", "older", "filtered", "retry/", "severe/", "lag", "row changes"} {
		if !strings.Contains(ProgressLegend, w) {
			t.Errorf("ProgressLegend does not explain %q", w)
		}
	}
}
