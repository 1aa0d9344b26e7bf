package meta

import (
	"testing"
	"time"
)

func TestNextProgress(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	const interval, maxStep = 2_000, 60_000
	tests := []struct {
		name                 string
		fired, frontier, end int64
		want                 int64
	}{
		{"idle stream steps by the interval", 900_000, 0, 0, 902_000},
		{"frontier just ahead: one interval", 900_000, 900_500, 0, 902_000},
		{"frontier further ahead: jump to just past it", 900_000, 950_000, 0, 950_001},
		{"backlog: at most maxStep", 100_000, 990_000, 0, 160_000},
		{"clamped to the end", 900_000, 0, 901_000, 901_000},
		{"at the end: done", 901_000, 0, 901_000, 0},
		{"watermark far past the wall clock: input ended", 1_000_000 + 11*60_000, 0, 0, 0},
		{"slightly past the wall clock (clock skew) goes on", 1_000_000 + 60_000, 0, 0, 1_062_000},
	}
	for _, tc := range tests {
		if got := NextProgress(tc.fired, tc.frontier, interval, maxStep, tc.end, now); got != tc.want {
			t.Errorf("%s: NextProgress = %d, want %d", tc.name, got, tc.want)
		}
	}
}
