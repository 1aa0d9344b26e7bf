package meta

import "time"

// NextProgress says when (in event time, Unix milliseconds) the applied
// watermark is next worth storing, after storing it at fired. 0 means never
// again.
//
//   - interval is the normal step: an idle stream still moves the stored
//     value along (heartbeats advance the watermark), so a relaunch does not
//     re-read hours of nothing.
//   - frontier is the latest event time of applied writes seen so far:
//     jumping to it stores progress as soon as everything up to the newest
//     write is applied, rather than in many small steps.
//   - maxStep caps a jump, so that a job catching up on a long backlog
//     still stores progress regularly.
//   - end (0 for none) is just past endTimestamp: there the job is done.
//   - now: a watermark far past the wall clock means the input has ended
//     (a drain or a bounded end); a timer re-armed then would fire again at
//     once, forever.
func NextProgress(fired, frontier, interval, maxStep, end int64, now time.Time) int64 {
	if end > 0 && fired >= end {
		return 0
	}
	if fired > now.Add(10*time.Minute).UnixMilli() {
		return 0
	}
	next := fired + interval
	if frontier+1 > next {
		next = min(frontier+1, fired+maxStep)
	}
	if end > 0 && next > end {
		next = end
	}
	return next
}
