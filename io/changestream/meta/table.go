package meta

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
)

// Table is a partition metadata table (and its job table) in a Spanner
// database of either dialect.
type Table struct {
	Client   *spanner.Client
	Name     string
	Postgres bool
	// Generation is the launch this handle writes for (set by Launch); a
	// write of partition state fails once another launch has taken the
	// table (see fence.go).
	Generation int64
}

func (t Table) jobTable() string { return t.Name + jobSuffix }

var pgParam = regexp.MustCompile(`@p(\d+)`)

// stmt adapts a statement written in GoogleSQL form (backquoted
// identifiers, parameters @p1, @p2, ...) to the database's dialect: the
// PostgreSQL interface wants double-quoted identifiers (the columns are
// mixed case) and $1, $2, ..., which the client binds as p1, p2, ....
func (t Table) stmt(sql string, args ...any) spanner.Statement {
	params := make(map[string]any, len(args))
	for i, a := range args {
		params[fmt.Sprintf("p%d", i+1)] = a
	}
	if t.Postgres {
		sql = pgParam.ReplaceAllString(strings.ReplaceAll(sql, "`", `"`), "$$$1")
	}
	return spanner.Statement{SQL: sql, Params: params}
}

var partitionColumns = []string{"PartitionToken", "ParentTokens", "StartTimestamp", "EndTimestamp", "HeartbeatMillis", "State", "Watermark"}

// selectRows is the column list that scanRow reads.
const selectRows = "SELECT `PartitionToken`, `ParentTokens`, `StartTimestamp`, `EndTimestamp`, `HeartbeatMillis`, `State`, `Watermark`, `ScheduledAt` FROM `%s`"

func scanRow(r *spanner.Row) (Row, spanner.NullTime, error) {
	var out Row
	var start, end, wm time.Time
	var scheduledAt spanner.NullTime
	if err := r.Columns(&out.Token, &out.Parents, &start, &end, &out.HeartbeatMillis, &out.State, &wm, &scheduledAt); err != nil {
		return Row{}, scheduledAt, err
	}
	out.Start, out.End, out.Watermark = timeNanos(start), timeNanos(end), timeNanos(wm)
	return out, scheduledAt, nil
}

func (t Table) insert(p Partition) *spanner.Mutation {
	parents := p.Parents
	if parents == nil {
		parents = []string{}
	}
	return spanner.Insert(t.Name, append(partitionColumns, "CreatedAt"),
		[]any{p.Token, parents, nanosTime(p.Start), nanosTime(p.End), p.HeartbeatMillis, StateCreated, nanosTime(p.Start), spanner.CommitTimestamp})
}

// Snapshot is what scheduling needs to know about the table.
type Snapshot struct {
	// Ready are CREATED partitions whose parents have all finished, and
	// partitions SCHEDULED long ago that no reader has started (see
	// Schedule).
	Ready []Partition
	// Unfinished counts partitions not yet FINISHED.
	Unfinished int
	// MinWatermark is the lowest position of the unfinished partitions:
	// no change still to be read is older.
	MinWatermark time.Time
}

// StaleSchedule is how long a partition may stay SCHEDULED before it is
// handed out again. Scheduling commits before the partition is emitted; if
// the commit's outcome was lost (an error after Spanner committed), nobody
// would ever read the partition, and the job would stall on it. Handing it
// out again risks a second reader instead, when the first was only slow to
// start: the new scheduling's ticket (Partition.Ticket) makes the first
// reader's writes fail with ErrHandedOver, so it leaves the partition to
// the second without moving it. (What it emitted before noticing is a
// repeat, which the shadow tables drop.)
const StaleSchedule = 10 * time.Minute

// Scan reads the unfinished partitions.
func (t Table) Scan(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	var rows []Row
	cutoff := time.Now().Add(-StaleSchedule)
	err := t.Client.Single().Query(ctx, t.stmt(fmt.Sprintf(selectRows, t.Name)+" WHERE `State` <> @p1", StateFinished)).Do(
		func(r *spanner.Row) error {
			row, scheduledAt, err := scanRow(r)
			if err != nil {
				return err
			}
			if row.State == StateScheduled && scheduledAt.Valid && scheduledAt.Time.Before(cutoff) {
				row.State = StateCreated // stale: hand it out again
			}
			rows = append(rows, row)
			if wm := time.Unix(0, row.Watermark); s.MinWatermark.IsZero() || wm.Before(s.MinWatermark) {
				s.MinWatermark = wm
			}
			return nil
		})
	if err != nil {
		return Snapshot{}, fmt.Errorf("scanning partition metadata table %s: %w", t.Name, err)
	}
	s.Unfinished = len(rows)
	s.Ready = Ready(rows)
	return s, nil
}

// MinWatermark is the lowest position of the unfinished partitions; ok is
// false when every partition has finished. It may come truncated to
// microseconds (the emulator's MIN does that), so it is a lower bound.
func (t Table) MinWatermark(ctx context.Context) (wm time.Time, ok bool, err error) {
	iter := t.Client.Single().Query(ctx, t.stmt(fmt.Sprintf("SELECT MIN(`Watermark`) FROM `%s` WHERE `State` <> @p1", t.Name), StateFinished))
	defer iter.Stop()
	row, err := iter.Next()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading the lowest partition watermark in %s: %w", t.Name, err)
	}
	var min spanner.NullTime
	if err := row.Column(0, &min); err != nil {
		return time.Time{}, false, fmt.Errorf("reading the lowest partition watermark in %s: %w", t.Name, err)
	}
	return min.Time, min.Valid, nil
}

// Schedule moves the given CREATED partitions to SCHEDULED and returns those
// it moved. A partition already moved is left out, so that a partition is
// never handed to two readers: this, together with Finish inserting a
// merged child only once, is why a merged child is read once. (The one
// exception is a partition SCHEDULED for longer than StaleSchedule, which
// is moved again.) Like every write of partition state, it changes nothing
// for a superseded job, which gets *SupersededError (see fence.go).
//
// Each partition returned carries the scheduling's commit time as its
// Ticket: the row's ScheduledAt, checked by the reader's writes, so that
// of two readers of a partition handed out twice only the later one moves
// it.
func (t Table) Schedule(ctx context.Context, ps []Partition) ([]Partition, error) {
	var moved []Partition
	at, err := t.txnAt(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		moved = moved[:0]
		keys := spanner.KeySets()
		byToken := map[string]Partition{}
		for _, p := range ps {
			keys = spanner.KeySets(keys, spanner.Key{p.Token})
			byToken[p.Token] = p
		}
		if err := t.fence(ctx, tx); err != nil {
			return err
		}
		var muts []*spanner.Mutation
		cutoff := time.Now().Add(-StaleSchedule)
		err := tx.Read(ctx, t.Name, keys, []string{"PartitionToken", "State", "ScheduledAt"}).Do(func(r *spanner.Row) error {
			var tok, state string
			var at spanner.NullTime
			if err := r.Columns(&tok, &state, &at); err != nil {
				return err
			}
			stale := state == StateScheduled && at.Valid && at.Time.Before(cutoff)
			if state != StateCreated && !stale {
				return nil
			}
			moved = append(moved, byToken[tok])
			muts = append(muts, spanner.Update(t.Name, []string{"PartitionToken", "State", "ScheduledAt"},
				[]any{tok, StateScheduled, spanner.CommitTimestamp}))
			return nil
		})
		if err != nil {
			return err
		}
		return tx.BufferWrite(muts)
	})
	if err != nil {
		return nil, fmt.Errorf("scheduling partitions in %s: %w", t.Name, err)
	}
	for i := range moved {
		moved[i].Ticket = at.UnixNano()
	}
	return moved, nil
}

// ErrHandedOver is a write by a reader of a partition that has since been
// handed to another reader (see StaleSchedule and Partition.Ticket): the
// write changed nothing, and the reader must leave the partition alone.
var ErrHandedOver = errors.New("partition handed to another reader")

// MarkRunning records that a reader has started the partition and returns
// its state before: RUNNING if a reader started it earlier (and was
// checkpointed before reading anything), FINISHED for a partition that
// must not be read again; then nothing changes. A partition handed out
// again since p was (see StaleSchedule) fails with ErrHandedOver.
func (t Table) MarkRunning(ctx context.Context, p Partition) (prev string, err error) {
	return t.advance(ctx, p, "RunningAt", time.Time{})
}

// SetWatermark stores the partition's read position: everything before it
// has been handed downstream. It reports a partition already finished
// instead (by a reader that held the rest of its range), whose position
// must not change, and fails with ErrHandedOver like MarkRunning.
func (t Table) SetWatermark(ctx context.Context, p Partition, wm time.Time) (finished bool, err error) {
	prev, err := t.advance(ctx, p, "Watermark", wm)
	return prev == StateFinished, err
}

// checkTicket fails with ErrHandedOver unless the partition's row still
// holds p's ticket.
func checkTicket(p Partition, scheduledAt spanner.NullTime) error {
	if p.Ticket != 0 && (!scheduledAt.Valid || scheduledAt.Time.UnixNano() != p.Ticket) {
		return fmt.Errorf("partition %q, taken at %s: %w", p.Token, time.Unix(0, p.Ticket).UTC().Format(time.RFC3339Nano), ErrHandedOver)
	}
	return nil
}

// advance updates an unfinished partition: sets it RUNNING with column set
// to the commit time, or its Watermark to wm. It returns the state before.
// A superseded job gets *SupersededError and changes nothing.
func (t Table) advance(ctx context.Context, p Partition, column string, wm time.Time) (prev string, err error) {
	err = t.txn(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		if err := t.fence(ctx, tx); err != nil {
			return err
		}
		row, err := tx.ReadRow(ctx, t.Name, spanner.Key{p.Token}, []string{"State", "ScheduledAt"})
		if err != nil {
			return err
		}
		var scheduledAt spanner.NullTime
		if err := row.Columns(&prev, &scheduledAt); err != nil {
			return err
		}
		if prev == StateFinished {
			return nil
		}
		if err := checkTicket(p, scheduledAt); err != nil {
			return err
		}
		switch {
		case column == "RunningAt" && prev == StateRunning:
			return nil
		case column == "Watermark":
			return tx.BufferWrite([]*spanner.Mutation{spanner.Update(t.Name, []string{"PartitionToken", "Watermark"}, []any{p.Token, wm})})
		}
		return tx.BufferWrite([]*spanner.Mutation{spanner.Update(t.Name,
			[]string{"PartitionToken", "State", column}, []any{p.Token, StateRunning, spanner.CommitTimestamp})})
	})
	if err != nil {
		return "", fmt.Errorf("updating partition %q in %s: %w", p.Token, t.Name, err)
	}
	return prev, nil
}

// Finish records the partition's children and marks it FINISHED at end
// (its children's start, or just past endTimestamp), in one transaction.
// Each child is inserted only if absent: every parent of a merged child
// reports it, and the child must exist once. Doing both in one transaction
// means a child exists as soon as its parent counts as finished. A
// superseded job gets *SupersededError, and a reader of a partition handed
// out again since p was gets ErrHandedOver; neither changes anything.
func (t Table) Finish(ctx context.Context, p Partition, children []Partition, end int64) error {
	token := p.Token
	err := t.txn(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		if err := t.fence(ctx, tx); err != nil {
			return err
		}
		if p.Ticket != 0 {
			row, err := tx.ReadRow(ctx, t.Name, spanner.Key{token}, []string{"ScheduledAt"})
			if err != nil {
				return err
			}
			var scheduledAt spanner.NullTime
			if err := row.Column(0, &scheduledAt); err != nil {
				return err
			}
			if err := checkTicket(p, scheduledAt); err != nil {
				return err
			}
		}
		var muts []*spanner.Mutation
		if len(children) > 0 {
			keys := spanner.KeySets()
			for _, c := range children {
				keys = spanner.KeySets(keys, spanner.Key{c.Token})
			}
			existing := map[string]bool{}
			err := tx.Read(ctx, t.Name, keys, []string{"PartitionToken"}).Do(func(r *spanner.Row) error {
				var tok string
				if err := r.Column(0, &tok); err != nil {
					return err
				}
				existing[tok] = true
				return nil
			})
			if err != nil {
				return err
			}
			for _, c := range children {
				if !existing[c.Token] {
					existing[c.Token] = true
					muts = append(muts, t.insert(c))
				}
			}
		}
		muts = append(muts, spanner.Update(t.Name, []string{"PartitionToken", "State", "Watermark", "FinishedAt"},
			[]any{token, StateFinished, nanosTime(end), spanner.CommitTimestamp}))
		return tx.BufferWrite(muts)
	})
	if err != nil {
		return fmt.Errorf("finishing partition %q in %s: %w", token, t.Name, err)
	}
	return nil
}

// Rows lists every partition row (for tests and diagnostics).
func (t Table) Rows(ctx context.Context) ([]Row, error) {
	var out []Row
	err := t.Client.Single().Query(ctx, t.stmt(fmt.Sprintf(selectRows, t.Name)+" ORDER BY `PartitionToken`")).Do(func(r *spanner.Row) error {
		row, _, err := scanRow(r)
		if err != nil {
			return err
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading partition metadata table %s: %w", t.Name, err)
	}
	return out, nil
}

func readRows(ctx context.Context, t Table, tx txReader) ([]Row, error) {
	var out []Row
	err := tx.Query(ctx, t.stmt(fmt.Sprintf(selectRows, t.Name))).Do(func(r *spanner.Row) error {
		row, _, err := scanRow(r)
		if err != nil {
			return err
		}
		out = append(out, row)
		return nil
	})
	return out, err
}
