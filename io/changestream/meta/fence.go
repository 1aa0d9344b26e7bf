package meta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
)

// Fencing: one job at a time moves the table.
//
// A job may outlive its successor's launch: a relaunch while the old job is
// still cancelling, or a second job started by mistake on the same metadata
// table. If the old job went on storing positions, the new one would resume
// from them, past changes the old job read but never applied. So every
// launch takes the table, and every write of partition state checks that
// its writer still holds it:
//
//   - Launch, in the one read-write transaction in which it prepares the
//     table, reads the job row's Generation g (0 when NULL or when there is
//     no row yet), stores g+1 and, as LaunchedAt, its commit time, and
//     leaves g+1 in the Table it was called on. The job's DoFns carry that
//     generation (changestream.Config.Generation). A job's launch checks
//     everything against a read-only Preview first and takes the table with
//     Commit as its last step before the job is submitted, so that a launch
//     that fails, or a dry run, takes nothing from a running job; Commit
//     takes exactly the generation previewed, or fails (*TakenError) when
//     another launch came in between.
//   - Every write of partition state (Schedule, MarkRunning, SetWatermark,
//     Finish, SaveApplied) first reads the job row's Generation inside its
//     own read-write transaction, and writes only if it equals the
//     writer's. Otherwise it buffers nothing and returns *SupersededError.
//
// Why no stale write can land. Read-write transactions are serializable,
// and each of these reads the Generation cell that Launch writes. In the
// serial order, a write by generation g comes either before the launch of
// g+1, which then sees it (and rewinds from the applied watermark as
// usual), or after it, and then reads g+1 and changes nothing. The check and
// the write share a transaction, so there is no gap between them. Once a
// launch has committed, only its job moves the table; the old job's readers,
// partition detector and applied-watermark tracker each get the error at
// their next write and stop for good, and the partition detector and the
// DLQ retry poller, which may go long without writing, check the generation
// (CheckGeneration) at every poll and stop too. They stop rather than fail:
// a runner retries a failing bundle, on Dataflow forever, so an error would
// keep the old job running and retrying. The old job says once, at ERROR,
// that it was superseded and must be cancelled, and counts
// superseded_errors; a local run exits non-zero when that count is not
// zero (template/main.go).
//
// Cost: one cell read in a transaction that exists anyway. Spanner locks
// cells, not rows, and SaveApplied never writes Generation, so the check
// does not contend with storing the applied watermark.
//
// Not fenced: the old job's writes to MySQL of records it had read before
// it noticed (at most one query window per partition). The shadow tables
// order those against the new job's, as they do any repeat.
//
// Compatibility: Ensure adds Generation and LaunchedAt (both nullable) to a
// job table made by an earlier version; its NULL generation counts as 0. A
// job of an earlier version does not check, so it must be stopped before
// a job of this version is launched on its table.

// SupersededError is a write of partition state by a job that a later
// launch has superseded: the write changed nothing.
type SupersededError struct {
	Table string
	// Generation is the writer's; Current and LaunchedAt are the table's.
	Generation, Current int64
	LaunchedAt          time.Time
}

func (e *SupersededError) Error() string {
	at := "at an unknown time"
	if !e.LaunchedAt.IsZero() {
		at = "at " + e.LaunchedAt.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("this job (generation %d of partition metadata table %s) was superseded by generation %d, launched %s: "+
		"another launch has taken over the table, so this job stops without storing anything more; "+
		"if the other launch was a mistake, stop it and relaunch this job",
		e.Generation, e.Table, e.Current, at)
}

// IsSuperseded reports whether err comes from a superseded writer.
func IsSuperseded(err error) bool {
	var s *SupersededError
	return errors.As(err, &s)
}

var fenceRead = []string{"Generation", "LaunchedAt"}

// readGeneration reads the table's generation and launch time; 0 before
// the first launch of this version.
func (t Table) readGeneration(ctx context.Context, r rowReader) (int64, time.Time, error) {
	row, err := r.ReadRow(ctx, t.jobTable(), spanner.Key{jobKey}, fenceRead)
	if errors.Is(err, spanner.ErrRowNotFound) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("reading the generation in job table %s: %w", t.jobTable(), err)
	}
	var gen spanner.NullInt64
	var at spanner.NullTime
	if err := row.Columns(&gen, &at); err != nil {
		return 0, time.Time{}, fmt.Errorf("reading the generation in job table %s: %w", t.jobTable(), err)
	}
	return gen.Int64, at.Time, nil
}

// fence fails with *SupersededError unless the table's generation is t's;
// called first in every transaction that writes partition state.
func (t Table) fence(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
	gen, at, err := t.readGeneration(ctx, tx)
	if err != nil {
		return err
	}
	if gen != t.Generation {
		return &SupersededError{Table: t.Name, Generation: t.Generation, Current: gen, LaunchedAt: at}
	}
	return nil
}

// CheckGeneration fails with *SupersededError when a later launch has taken
// the table from t's; for the parts of a job that poll without writing
// partition state. Other errors are read errors, worth a retry.
func (t Table) CheckGeneration(ctx context.Context) error {
	gen, at, err := t.readGeneration(ctx, t.Client.Single())
	if err != nil {
		return err
	}
	if gen != t.Generation {
		return &SupersededError{Table: t.Name, Generation: t.Generation, Current: gen, LaunchedAt: at}
	}
	return nil
}
