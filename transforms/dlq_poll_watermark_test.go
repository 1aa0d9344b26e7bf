package transforms

import (
	"context"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
)

// The retry/ poller's watermark is flattened into the change stream's, so
// it bounds the applied watermark. Left at the time of the last poll, it
// kept the applied watermark at the launch time for a whole retry
// interval, and a job killed meanwhile re-read everything on relaunch.
func TestPollRetryWatermarkLeavesNoGapBetweenPolls(t *testing.T) {
	interval := 10 * time.Minute
	for _, tc := range []struct {
		name string
		end  time.Time // zero: unbounded
	}{
		{name: "unbounded"},
		{name: "end before the next poll", end: time.Now().Add(30 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &pollRetryFn{Root: t.TempDir(), IntervalMillis: interval.Milliseconds()}
			if !tc.end.IsZero() {
				f.EndMillis = tc.end.UnixMilli()
			}
			we := &sdf.ManualWatermarkEstimator{}
			rt := f.CreateTracker(f.CreateInitialRestriction(nil))
			before := time.Now()
			cont, err := f.ProcessElement(context.Background(), we, rt, nil, func(beam.EventTime, string) {})
			after := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			if !cont.ShouldResume() {
				t.Fatal("the poller stopped before its end")
			}
			// No file can be emitted before the next poll, and that poll
			// stamps its files with its own time.
			next := before.Add(cont.ResumeDelay())
			if wm := we.CurrentWatermark(); wm.Before(next) || wm.After(after.Add(cont.ResumeDelay())) {
				t.Errorf("watermark %v after a poll that resumes in %v; want the time of the next poll (%v..%v)",
					wm, cont.ResumeDelay(), next, after.Add(cont.ResumeDelay()))
			}
			if !tc.end.IsZero() {
				if want := time.UnixMilli(f.EndMillis + 1); !we.CurrentWatermark().Equal(want) {
					t.Errorf("watermark %v, want just past the end (%v), where the last poll happens", we.CurrentWatermark(), want)
				}
			}
		})
	}
}
