package apply

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Speculation: step 3 beside step 1.
//
// Most batches are changes newer than every shadow row (the stream brings
// each change once; duplicates come with retries). For those, what step 3
// writes is known before step 1 has read anything: the newest change of
// each key. So the target's transaction M starts writing it while step 1
// reads the shadow rows, and the batch takes the longer of the two instead
// of their sum. M commits only if the decision of step 2, made on the
// shadow rows read, is the one M was written for (the same changes
// applied); otherwise M is rolled back and step 3 runs as without
// speculation, after step 1. Steps 4 to 7 are unchanged.
//
// Why this keeps the protocol's guarantees (see the package doc):
//
//   - What commits is what the protocol decides, from the shadow rows read
//     under lock: M is committed only when step 2's decision is the one
//     it was written for.
//   - Step 4 still follows every statement of M, so a writer W that takes
//     the locks after T lost them runs its statements after M's and waits
//     for M's row locks (and, on PostgreSQL, its key locks: keylock.go;
//     M takes them first, as step 3 does), as before.
//   - What changes is that M's statements may run before T holds the
//     locks. A writer W that holds them then either wrote a row before M
//     did (M's statement waits until W's transaction ends; if W committed,
//     T's read returns W's version and M commits only if T's change is
//     newer), or wants a row M wrote (or a key M locked) first. Then W
//     waits for M in the target while T's read waits for W in Spanner: a
//     deadlock across the two databases, which neither detects. Spanner
//     breaks it when T is the older (it wounds W, whose step 4 then fails
//     once M ends, so W commits nothing); otherwise M gives way: once its
//     statements are done it waits for step 1 at most SpeculationWait,
//     then rolls back, releasing W, and the batch goes on without
//     speculation.
//   - Only upserts are speculated: a batch that deletes a row (a stray
//     delete included) runs without speculation. The argument above needs
//     every statement of M to lock what it changes, so that a writer that
//     commits the row later waits for M. An upsert does (it locks the row,
//     or the key it inserts); a DELETE of a row that is absent locks
//     nothing at READ COMMITTED (and never on PostgreSQL, which has no gap
//     locks). Another writer could then insert the row with an older
//     change and commit it, shadow row included, between M's DELETE and
//     step 1; step 2 still decides for the newer delete, and committing M
//     (which deleted nothing) would leave the older row under a shadow row
//     that claims the delete, with nothing to repair it. (On PostgreSQL
//     the key locks of keylock.go would now make that writer wait; on a
//     MySQL at READ COMMITTED nothing does, so deletes stay out for all.)
//   - A speculation that failed (the target refused a statement, or missed
//     its deadline) fails the attempt only if the decision is the one it
//     was written for: step 3 would have written the same statements.
//     Otherwise it is rolled back and forgotten. One exception: a
//     speculation that the target ended because of another transaction (a
//     deadlock, a lock wait timeout, a serialization failure: rolledBack)
//     only ran into a writer that the shadow locks would have kept away
//     from step 3, so step 3 runs as without speculation.
//
// A batch that was not what it was written for (a retry, records of
// retry/) makes the next speculationPause batches of the Applier run
// without speculation, so a run of duplicates does not write every batch
// twice.

// DefaultSpeculationWait is how long a speculation whose statements are
// done waits for step 1 before it rolls back. Step 1 normally takes a few
// milliseconds to a few hundred; longer, it is likely waiting for another
// writer of the same keys, which may be waiting for M.
const DefaultSpeculationWait = 2 * time.Second

// speculationPause is how many batches run without speculation after one
// whose speculation was wasted.
const speculationPause = 8

// speculation is M written for the decision plan while step 1 runs.
type speculation struct {
	plan      []int       // step 2's decision if no shadow row is newer (decide.Apply)
	write     []*prepared // its rows to write (not filtered), in the batch's prepared records
	readDone  chan struct{}
	closeRead sync.Once
	done      chan struct{}
	// Set by the speculation's goroutine before done closes.
	att     *attempt      // M, written and open; nil if it failed or gave way
	refused map[int]error // rows refused one by one, by index into write
	err     error         // why M failed (it is over)
	gaveWay bool          // step 1 took longer than the wait: M rolled back
	// skipped: the batch's rows, once mapped, left nothing to write, or
	// were not all mapped (the plan was made for records that are no
	// longer all in the batch); M never started. Not a waste.
	skipped bool
}

// speculate starts M for the batch pr if no shadow row were newer than its
// changes; nil when there is nothing to speculate on or speculation is
// paused or off. The plan is made from the records' keys and versions
// alone; M waits for their rows (prepare.go), and is skipped if a record
// could not be mapped.
func (a *Applier) speculate(ctx context.Context, db *sql.DB, pr *preparation) *speculation {
	if a.NoSpeculation || a.pauseSpeculation() {
		return nil
	}
	d := decide(pr.keyed, nil)
	s := &speculation{plan: d.Apply, readDone: make(chan struct{}), done: make(chan struct{})}
	if len(d.Apply) == 0 || slices.ContainsFunc(d.Apply, func(i int) bool { return pr.keyed[i].rec.ModType == record.ModDelete }) {
		return nil // nothing to write, or a delete, which is never speculated (see above)
	}
	// whole: the batch's rows are all mapped, and s.write holds the plan's.
	whole := func() bool {
		ps, _, err := pr.wait()
		return err == nil && len(ps) == len(pr.keyed) && s.writes(ps)
	}
	select {
	case <-pr.done: // prepared already (a custom transformation, a split batch)
		if !whole() {
			return nil
		}
	default:
	}
	wait := a.SpeculationWait
	if wait <= 0 {
		wait = DefaultSpeculationWait
	}
	go func() {
		defer close(s.done)
		// Connecting and beginning while the rows are mapped.
		t, err := a.openAttempt(ctx, db)
		if !whole() { // at once if it was prepared already
			if err == nil {
				t.rollback()
			}
			s.skipped = true
			return
		}
		if err != nil {
			s.err = err
			return
		}
		changes := a.changes(s.write)
		if err := t.lockKeys(changes); err != nil {
			s.err = err
			return
		}
		refused, err := t.sess.Write(t.ctx, changes)
		if err != nil {
			s.err = t.fail(err)
			return
		}
		if a.Hooks.SpeculativeWrite != nil {
			a.Hooks.SpeculativeWrite()
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-s.readDone:
			s.att, s.refused = t, refused
		case <-timer.C:
			t.rollback()
			s.gaveWay = true
		}
	}()
	return s
}

// writes sets the rows M writes, the plan's that are not filtered, from
// the batch's prepared records (indexed as the keyed ones the plan was
// made from), and reports whether there are any.
func (s *speculation) writes(ps []prepared) bool {
	s.write, _ = writes(ps, s.plan)
	return len(s.write) > 0
}

// settle tells the speculation that step 1 is over and waits for it.
func (s *speculation) settle() {
	s.closeRead.Do(func() { close(s.readDone) })
	<-s.done
}

// usable reports whether M is written for decision (once step 1 is over),
// so that it, or its failure, stands for step 3. It settles s.
func (s *speculation) usable(decision []int) bool {
	if s == nil {
		return false
	}
	s.settle()
	return !s.skipped && !s.gaveWay && !rolledBack(s.err) && slices.Equal(s.plan, decision)
}

// discard rolls M back unless it was committed; nil-safe, and safe to call
// more than once.
func (s *speculation) discard() {
	if s == nil {
		return
	}
	s.settle()
	if s.att != nil {
		s.att.rollback()
		s.att = nil
	}
}

// commitSpeculation is steps 4 and 5 on M. It returns the rows refused one
// by one, by index into the write list (the same as writeMySQL's, the
// decision being the same).
func (a *Applier) commitSpeculation(tx *spanner.ReadWriteTransaction, s *speculation) (map[int]error, error) {
	if s.err != nil {
		return nil, s.err
	}
	t := s.att
	s.att = nil
	if err := a.commit(tx, t, s.write[0]); err != nil {
		return nil, err
	}
	return s.refused, nil
}

// pauseSpeculation reports whether this batch runs without speculation,
// counting it.
func (a *Applier) pauseSpeculation() bool {
	for {
		n := a.paused.Load()
		if n <= 0 {
			return false
		}
		if a.paused.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// wasted records a speculation that was not used.
func (a *Applier) wasted() {
	a.paused.Store(speculationPause)
	if a.Hooks.Speculated != nil {
		a.Hooks.Speculated(false)
	}
}

// used records a speculation that stood for step 3.
func (a *Applier) used() {
	if a.Hooks.Speculated != nil {
		a.Hooks.Speculated(true)
	}
}
