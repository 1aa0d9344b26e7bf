package meta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
)

// jobKey is the key of the job table's single row.
const jobKey = "job"

// Identity is what makes two launches the same job: the same stream, read
// from the same start to the same end.
type Identity struct {
	Stream string
	// Start is where the job starts reading; StartGiven says whether the
	// user gave it (otherwise it is the first launch's time).
	Start      time.Time
	StartGiven bool
	End        int64 // Unix nanoseconds, inclusive; Unbounded for none
}

// Job is the job table's row.
type Job struct {
	Identity
	// Applied is the applied watermark: every change committed before it
	// has been applied to MySQL or written to the dead-letter queue.
	Applied time.Time
}

// ConflictError is a launch whose parameters contradict the job whose
// state the metadata table holds.
type ConflictError struct {
	Table string
	// Param is the launch parameter in conflict.
	Param         string
	Stored, Given string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("partition metadata table %s holds the state of a job with %s=%s, but this launch has %s=%s. "+
		"To resume that job, relaunch with %s=%s%s. To replicate with %s=%s instead, set spannerMetadataTableName to a new table name "+
		"(the old job's state stays in %s)",
		e.Table, e.Param, e.Stored, e.Param, e.Given, e.Param, e.Stored, e.emptyHint(), e.Param, e.Given, e.Table)
}

func (e *ConflictError) emptyHint() string {
	if e.Param == "startTimestamp" {
		return " (or with startTimestamp empty)"
	}
	return ""
}

// Launched describes the state a launch found and left.
type Launched struct {
	// Resumed is set when an earlier job's state was found.
	Resumed bool
	// Applied is the applied watermark the job continues from.
	Applied time.Time
	// Reopened are the partitions the launch (re)opened for reading.
	Reopened []Reopen
	// Job is the stored identity (the first launch's one on a resume).
	Job Job
	// Generation is the launch's generation (see fence.go).
	Generation int64
}

func formatEnd(n int64) string {
	if n == Unbounded {
		return "(empty)"
	}
	return time.Unix(0, n).UTC().Format(time.RFC3339Nano)
}

// check compares a relaunch's identity with the stored one. An empty
// startTimestamp means "resume", so only a given one must match.
func (j Job) check(table string, id Identity) error {
	if id.Stream != j.Stream {
		return &ConflictError{Table: table, Param: "changeStreamName", Stored: j.Stream, Given: id.Stream}
	}
	if id.StartGiven && !id.Start.Equal(j.Start) {
		return &ConflictError{Table: table, Param: "startTimestamp",
			Stored: j.Start.UTC().Format(time.RFC3339Nano), Given: id.Start.UTC().Format(time.RFC3339Nano)}
	}
	if id.End != j.End {
		return &ConflictError{Table: table, Param: "endTimestamp", Stored: formatEnd(j.End), Given: formatEnd(id.End)}
	}
	return nil
}

// Launch prepares the table for a job with identity id, in one transaction:
// on a first launch it stores the job and the root partition; on a relaunch
// it checks the identity and reopens, from the applied watermark, every
// partition whose changes may not all be applied (see Rewind). So a job
// that was cancelled or crashed loses nothing, and a relaunch needs no
// clean-up by hand.
//
// The launch also takes the table (see fence.go): it stores the next
// generation, which t carries from then on, and every earlier job's writes
// of partition state fail from then on.
func (t *Table) Launch(ctx context.Context, id Identity, heartbeatMillis int64) (Launched, error) {
	return t.launch(ctx, id, heartbeatMillis, 0)
}

// Preview is Launch without writing anything: it checks id against the
// stored job and tells what Launch would do now, the generation it would
// take included. The job launching runs its checks against the preview and
// takes the table with Commit as its very last step, so that a launch that
// fails (or a dry run) supersedes no running job.
func (t Table) Preview(ctx context.Context, id Identity, heartbeatMillis int64) (Launched, error) {
	ro := t.Client.ReadOnlyTransaction()
	defer ro.Close()
	out, _, err := t.plan(ctx, ro, id, heartbeatMillis)
	if err != nil {
		return Launched{}, launchError(t.Name, err)
	}
	return out, nil
}

// Commit is Launch for a job built from preview (see Preview): it takes
// the table only as generation preview.Generation, the one the job's DoFns
// carry, and fails, changing nothing, if another launch took the table in
// between.
func (t *Table) Commit(ctx context.Context, id Identity, heartbeatMillis int64, preview Launched) (Launched, error) {
	if preview.Generation <= 0 {
		return Launched{}, fmt.Errorf("partition metadata table %s: no launch preview to commit", t.Name)
	}
	return t.launch(ctx, id, heartbeatMillis, preview.Generation)
}

// TakenError is a Commit that found the table taken by another launch
// after its preview.
type TakenError struct {
	Table          string
	Want, Previous int64
}

func (e *TakenError) Error() string {
	return fmt.Sprintf("partition metadata table %s was taken by another launch (generation %d) while this one was being prepared "+
		"(it expected generation %d): two launches ran at once; stop the other job, or launch this one again to take over from it",
		e.Table, e.Previous, e.Want-1)
}

// launch is Launch, or Commit when want > 0.
func (t *Table) launch(ctx context.Context, id Identity, heartbeatMillis, want int64) (Launched, error) {
	var out Launched
	err := t.txn(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		var muts []*spanner.Mutation
		var err error
		out, muts, err = t.plan(ctx, tx, id, heartbeatMillis)
		if err != nil {
			return err
		}
		if want > 0 && out.Generation != want {
			return &TakenError{Table: t.Name, Want: want, Previous: out.Generation - 1}
		}
		return tx.BufferWrite(muts)
	})
	if err != nil {
		return Launched{}, launchError(t.Name, err)
	}
	t.Generation = out.Generation
	return out, nil
}

func launchError(table string, err error) error {
	var conflict *ConflictError
	if errors.As(err, &conflict) {
		return conflict
	}
	var taken *TakenError
	if errors.As(err, &taken) {
		return taken
	}
	return fmt.Errorf("preparing partition metadata table %s: %w", table, err)
}

// txReader is a read-only or read-write transaction.
type txReader interface {
	rowReader
	Query(ctx context.Context, stmt spanner.Statement) *spanner.RowIterator
}

// plan reads the table in tx and returns what a launch of id finds and the
// mutations that make it so, taking generation g+1 included.
func (t Table) plan(ctx context.Context, tx txReader, id Identity, heartbeatMillis int64) (Launched, []*spanner.Mutation, error) {
	job, found, err := t.readJob(ctx, tx)
	if err != nil {
		return Launched{}, nil, err
	}
	gen, _, err := t.readGeneration(ctx, tx)
	if err != nil {
		return Launched{}, nil, err
	}
	rows, err := readRows(ctx, t, tx)
	if err != nil {
		return Launched{}, nil, err
	}
	take := spanner.Update(t.jobTable(), []string{"JobKey", "Generation", "LaunchedAt"},
		[]any{jobKey, gen + 1, spanner.CommitTimestamp})
	var muts []*spanner.Mutation
	switch {
	case !found && len(rows) == 0:
		root := Partition{Token: RootToken, Start: id.Start.UnixNano(), End: id.End, HeartbeatMillis: heartbeatMillis}
		job = Job{Identity: id, Applied: id.Start}
		out := Launched{Applied: id.Start, Reopened: []Reopen{{Token: RootToken, From: root.Start}}, Job: job, Generation: gen + 1}
		return out, []*spanner.Mutation{t.insert(root), t.putJob(job, true), take}, nil
	case found:
		if err := job.check(t.Name, id); err != nil {
			return Launched{}, nil, err
		}
	default:
		// Partitions without a job row: a table from before job rows
		// existed. Nothing says what was applied, so read it all again.
		job = Job{Identity: id, Applied: id.Start}
		for _, r := range rows {
			if r.Token == RootToken {
				job.Start, job.Applied = time.Unix(0, r.Start).UTC(), time.Unix(0, r.Start).UTC()
			}
		}
		muts = append(muts, t.putJob(job, true))
	}
	out := Launched{Resumed: true, Applied: job.Applied, Job: job, Reopened: Rewind(rows, job.Applied.UnixNano()), Generation: gen + 1}
	for _, r := range out.Reopened {
		muts = append(muts, spanner.Update(t.Name,
			[]string{"PartitionToken", "State", "Watermark", "ScheduledAt", "RunningAt", "FinishedAt"},
			[]any{r.Token, StateCreated, nanosTime(r.From), nil, nil, nil}))
	}
	return out, append(muts, take), nil
}

var jobColumns = []string{"JobKey", "StreamName", "StartTimestamp", "StartGiven", "EndTimestamp", "AppliedWatermark", "UpdatedAt"}

func (t Table) putJob(j Job, create bool) *spanner.Mutation {
	cols := jobColumns
	vals := []any{jobKey, j.Stream, j.Start, j.StartGiven, nanosTime(j.End), j.Applied, spanner.CommitTimestamp}
	if create {
		return spanner.Insert(t.jobTable(), append(cols, "CreatedAt"), append(vals, spanner.CommitTimestamp))
	}
	return spanner.Update(t.jobTable(), cols, vals)
}

type rowReader interface {
	ReadRow(ctx context.Context, table string, key spanner.Key, columns []string) (*spanner.Row, error)
}

func (t Table) readJob(ctx context.Context, r rowReader) (Job, bool, error) {
	row, err := r.ReadRow(ctx, t.jobTable(), spanner.Key{jobKey}, jobColumns[1:6])
	if errors.Is(err, spanner.ErrRowNotFound) { // no job row yet
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("reading job table %s: %w", t.jobTable(), err)
	}
	var j Job
	var end time.Time
	if err := row.Columns(&j.Stream, &j.Start, &j.StartGiven, &end, &j.Applied); err != nil {
		return Job{}, false, fmt.Errorf("reading job table %s: %w", t.jobTable(), err)
	}
	j.End = timeNanos(end)
	j.Start, j.Applied = j.Start.UTC(), j.Applied.UTC()
	return j, true, nil
}

// Job reads the stored job; ok is false before the first launch.
func (t Table) Job(ctx context.Context) (j Job, ok bool, err error) {
	return t.readJob(ctx, t.Client.Single())
}

// SaveApplied advances the stored applied watermark to applied (it never
// moves back) and deletes the finished partitions that ended more than
// keep before it: no relaunch can need them again, since the applied
// watermark only grows. Keeping some history helps operators. A superseded
// job (see fence.go) stores nothing and gets *SupersededError.
func (t Table) SaveApplied(ctx context.Context, applied time.Time, keep time.Duration) error {
	err := t.txn(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		if err := t.fence(ctx, tx); err != nil {
			return err
		}
		job, found, err := t.readJob(ctx, tx)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("job table %s has no job row", t.jobTable())
		}
		if !applied.After(job.Applied) {
			return nil
		}
		job.Applied = applied
		if _, err := tx.Update(ctx, t.stmt(fmt.Sprintf(
			"DELETE FROM `%s` WHERE `State` = @p1 AND `Watermark` < @p2 AND `PartitionToken` <> @p3", t.Name),
			StateFinished, applied.Add(-keep), RootToken)); err != nil {
			return err
		}
		return tx.BufferWrite([]*spanner.Mutation{t.putJob(job, false)})
	})
	if err != nil {
		return fmt.Errorf("storing the applied watermark in %s: %w", t.jobTable(), err)
	}
	return nil
}
