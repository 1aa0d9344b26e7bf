package transforms

import (
	"bytes"
	"context"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/pure/poll"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.DoFn5x2[context.Context, *sdf.ManualWatermarkEstimator, *sdf.LockRTracker, []byte,
		func(beam.EventTime, string), sdf.ProcessContinuation, error](&pollRetryFn{})
	register.Emitter2[beam.EventTime, string]()
	register.DoFn4x1[context.Context, string, func(record.Record), func(string, FileCount), error](&readDLQFileFn{})
	register.Emitter2[string, FileCount]()
}

// pollRetryFn lists the DLQ's retry/ directory every IntervalMillis and
// emits the files it finds. Its restriction only counts polls. It runs as
// long as the change stream beside it: forever, or, when the stream has an
// end, until a last poll after EndMillis (files written to retry/ after that
// wait for a retryAllDLQ run). Beside the change stream it stops with it
// when a later launch takes the metadata table (Fence): otherwise the
// superseded job would go on consuming retry/ files beside the new one.
type pollRetryFn struct {
	poll.Impulse
	Root           string
	IntervalMillis int64
	EndMillis      int64 // Unix milliseconds; 0 = never
	// Subscription, when set, delivers the storage notifications of new
	// retry files; they are pulled every PullMillis, and the full listing
	// every IntervalMillis stays as a safety net.
	Subscription string
	PullMillis   int64
	// Fence is the change stream's launch (zero without a stream).
	Fence changestream.Fence

	notes    *dlq.Notifications
	lastList time.Time
}

// fenceCheck is how often a fenced poller checks the generation at least.
const fenceCheck = 5 * time.Second

func (f *pollRetryFn) Setup(ctx context.Context) error {
	if err := f.Fence.Setup(ctx); err != nil {
		return err
	}
	if f.Subscription == "" {
		return nil
	}
	var err error
	f.notes, err = dlq.OpenNotifications(ctx, f.Subscription)
	return err
}

func (f *pollRetryFn) Teardown() {
	f.Fence.Teardown()
	if f.notes != nil {
		f.notes.Close()
	}
}

func (f *pollRetryFn) ProcessElement(ctx context.Context, we *sdf.ManualWatermarkEstimator, rt *sdf.LockRTracker,
	_ []byte, emit func(beam.EventTime, string)) (sdf.ProcessContinuation, error) {
	rest := rt.GetRestriction().(retryRestriction)
	if !rt.TryClaim(rest.Start) {
		return sdf.StopProcessing(), rt.GetError()
	}
	if f.Fence.Superseded(ctx) {
		// For good, and without an error that a runner would retry.
		rt.TryClaim(rest.End)
		return sdf.StopProcessing(), nil
	}
	now := time.Now()
	// Files are stamped with the time they were found, so this source never
	// holds the pipeline's watermark back.
	we.UpdateWatermark(now)
	var paths []string
	var listed map[string]bool // nil: no full listing this poll
	interval := time.Duration(f.IntervalMillis) * time.Millisecond
	if f.notes != nil {
		got, err := f.notes.Pull(ctx, f.Root)
		if err != nil {
			logs.Warn(ctx, "DLQ notifications pull failed", "subscription", f.Subscription, "error", err)
		}
		paths = append(paths, got...)
	}
	if now.Sub(f.lastList) >= interval {
		f.lastList = now
		files, err := dlq.List(ctx, f.Root, dlq.RetryDir)
		if err != nil {
			logs.Warn(ctx, "DLQ retry listing failed", "dir", f.Root, "error", err)
		} else {
			listed = map[string]bool{}
		}
		for _, file := range files {
			paths = append(paths, file.Path)
			if listed != nil {
				listed[file.Path] = true
			}
		}
	}
	f.emitNew(rt, now, paths, listed, emit)
	delay := interval
	if f.notes != nil {
		delay = min(delay, time.Duration(f.PullMillis)*time.Millisecond)
	}
	if f.Fence.Generation > 0 {
		// Wake up to check the generation between listings too (they are
		// 10 minutes apart by default); lastList keeps their pace.
		delay = min(delay, fenceCheck)
	}
	if f.EndMillis > 0 {
		if now.UnixMilli() > f.EndMillis {
			rt.TryClaim(rest.End)
			return sdf.StopProcessing(), nil
		}
		delay = min(delay, time.UnixMilli(f.EndMillis+1).Sub(now))
	}
	// Nothing comes out before the next poll, and what it finds is stamped
	// with its own time. Left at this poll's time, the watermark would hold
	// back the whole pipeline's, and the applied watermark that a relaunch
	// resumes from, for a full retry interval (10 minutes by default).
	we.UpdateWatermark(now.Add(delay))
	return sdf.ResumeProcessingIn(delay), nil
}

// emitNew emits the paths not handed out already. The set of files handed
// out lives in the restriction (retryRestriction), so it survives a resume
// on another instance or worker: a file is deleted only after its records
// are committed downstream, and reading it twice in the meantime would put
// its failing records back into retry/ twice. A file leaves the set when a
// full listing no longer shows it (consumed and deleted), or after an hour
// (still there, say its deletion failed: it is read again).
func (f *pollRetryFn) emitNew(rt *sdf.LockRTracker, now time.Time, paths []string, listed map[string]bool,
	emit func(beam.EventTime, string)) {
	rt.Mu.Lock()
	defer rt.Mu.Unlock()
	emitted := emittedSet(rt)
	for p, at := range emitted {
		if now.Sub(time.UnixMilli(at)) > time.Hour || (listed != nil && !listed[p]) {
			delete(emitted, p)
		}
	}
	for _, p := range paths {
		if _, done := emitted[p]; done {
			continue
		}
		// In the set before it is emitted: a split taken meanwhile
		// already carries it.
		emitted[p] = now.UnixMilli()
		emit(beam.EventTime(now.UnixMilli()), p)
	}
}

// readDLQFileFn reads one DLQ file back into the pipeline. Records with
// retries left are emitted, each carrying the name of this read (Origin)
// and its number within it (OriginIndex: 0, 1, ...);
// exhausted and malformed lines are written to severe/ before the bundle
// ends. The read is announced on a second output with the number of
// records emitted, and DeleteConsumed deletes the file only once the
// shard assignment and the writer have committed the outcome of each of
// those records (by number: a record delivered twice counts once).
// Records being downstream is not enough: a runner that keeps them in
// memory (prism) loses them when killed. A crash
// before the deletion re-reads the file, which may duplicate records (the
// shadow check makes that harmless) but never loses one.
type readDLQFileFn struct {
	DLQ DeadLetterConfig
}

func (f *readDLQFileFn) ProcessElement(ctx context.Context, path string, emit func(record.Record), consumed func(string, FileCount)) error {
	data, err := dlq.ReadFile(ctx, path)
	if dlq.IsNotFound(err) {
		// Already consumed and deleted by an earlier bundle: nothing to do.
		logs.Info(ctx, "DLQ file already consumed", "file", path, "error", err)
		return nil
	}
	if err != nil {
		// Permission denied, a transient storage error...: the file is
		// kept and read again by a later poll (an hour later at most) or
		// run. Failing the bundle instead would retry it for ever on a
		// file that cannot be read.
		dlqReadErrors.Inc(ctx, 1)
		logs.Warn(ctx, "DLQ file not readable; it is left in place and read again later", "file", path, "error", err)
		return nil
	}
	var bad []severeLine
	var retried, exhausted, malformed int
	read := newReadName(path)
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		r := dlq.Reconsume(line, f.DLQ.MaxRetries)
		switch r.Verdict {
		case dlq.Retry:
			reconsumed.Inc(ctx, 1)
			r.Record.Origin, r.Record.OriginIndex = read, int64(retried)
			retried++
			emit(r.Record)
		case dlq.Exhausted:
			exhausted++
			bad = append(bad, severeLine{N: n + 1, Record: &r.Record, Why: r.Error})
		case dlq.Malformed:
			malformed++
			bad = append(bad, severeLine{N: n + 1, Line: line, Why: r.Error})
		}
	}
	if err := newDeadLetters(f.DLQ).exhausted(ctx, path, bad); err != nil {
		return err
	}
	// Retry files come back every retry interval: Debug only.
	logs.Debug(ctx, "DLQ file consumed", "file", path, "retried", retried, "to_severe", exhausted, "malformed", malformed)
	consumed(read, FileCount{Path: path, Announced: true, Expected: int64(retried)})
	return nil
}

// ReconsumeRetries polls retry/ every interval and emits its records, until
// end when end is not zero, or until a later launch supersedes the change
// stream's (fence; the zero Fence without a stream).
// With a subscription, storage notifications announce new files too.
// The second result announces each read, for DeleteConsumed.
// d.RetryMode (runMode retryAllDLQ) counts the records whose retries are
// exhausted as requeued, like those of the severe/ files the run re-reads,
// rather than as new severe errors.
func ReconsumeRetries(s beam.Scope, d DeadLetterConfig, interval time.Duration, end time.Time, subscription string, fence changestream.Fence) (records, reads beam.PCollection) {
	s = s.Scope("DLQ.RetryReconsumer")
	var endMillis int64
	if !end.IsZero() {
		endMillis = end.UnixMilli()
	}
	poll := &pollRetryFn{Root: d.Root, IntervalMillis: interval.Milliseconds(), EndMillis: endMillis,
		Subscription: subscription, PullMillis: time.Second.Milliseconds(), Fence: fence}
	files := beam.ParDo(s, poll, beam.Impulse(s))
	files = beam.Reshuffle(s, files)
	return readFiles(s, &readDLQFileFn{DLQ: d}, files)
}

func readFiles(s beam.Scope, fn *readDLQFileFn, files beam.PCollection) (records, reads beam.PCollection) {
	return beam.ParDo2(s, fn, files)
}

// ReconsumeFiles reads the given DLQ files once (runMode retryDLQ and
// retryAllDLQ: the severe/ files found at launch; d.RetryMode is set in
// those modes). The second result announces each read, for DeleteConsumed.
func ReconsumeFiles(s beam.Scope, d DeadLetterConfig, files []string) (records, reads beam.PCollection) {
	s = s.Scope("DLQ.SevereReconsumer")
	paths := beam.CreateList(s, files)
	paths = beam.Reshuffle(s, paths)
	return readFiles(s, &readDLQFileFn{DLQ: d}, paths)
}
