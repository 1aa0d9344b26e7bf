package apply

// The protocol with the shadow rows in the shard (Applier.InSource,
// shadowTableLocation=source).
//
// Each shard's database holds a shadow table per replicated table
// (target.ShadowTable: the key's hash as primary key, the version as
// processed_commit_ts and record_seq). Per batch, in one transaction S of
// the shard:
//
//  1. make sure a shadow row exists for every key of the batch, and lock
//     it (target.ShadowSession.LockShadow: MySQL INSERT ... ON DUPLICATE
//     KEY UPDATE, PostgreSQL INSERT ... ON CONFLICT DO NOTHING, each with
//     placeholder rows without a version for keys never seen);
//  2. read the shadow rows with SELECT ... FOR UPDATE;
//  3. keep, per key, only the newest change, and only if it is newer than
//     the shadow row (pure/newer, as on the Spanner side);
//  4. write those changes to the data tables;
//  5. write their versions to the shadow rows;
//  6. commit S.
//
// What each step guarantees:
//
//   - Steps 1 and 2 leave S holding an exclusive row lock on the shadow
//     row of every key of the batch until S ends. Another writer of one of
//     those keys (a second pipeline, a retryDLQ run, a zombie worker, an
//     overlapping relaunch) blocks in its own step 1 or 2 until S commits
//     or rolls back, and then reads what S committed: a locking read (FOR
//     UPDATE, and in InnoDB the duplicate-key path of ON DUPLICATE KEY
//     UPDATE) reads the latest committed row, not a snapshot taken before
//     S committed. So the version S decided against in step 3 is current
//     when S commits, and a writer after S decides against S's version: an
//     older change never overwrites a newer one.
//   - Step 1 is why keys never seen are safe too. A locking read of a row
//     that does not exist locks nothing in PostgreSQL, and in InnoDB takes
//     a gap lock that other writers may share: two writers of a new key
//     would both read "absent", and both apply (PostgreSQL), or deadlock
//     on their inserts (InnoDB). Inserting the row first makes it exist:
//     the first inserter holds its lock, the second waits on the unique
//     index until the first ends, then finds the row and locks it. InnoDB's
//     ON DUPLICATE KEY UPDATE takes an exclusive lock on a row that exists
//     (INSERT IGNORE would take a shared one, and two writers upgrading
//     shared locks deadlock).
//   - The changes (4) and their versions (5) commit together (6): a shadow
//     version never runs ahead of, or behind, the data. There is no
//     re-check like the Spanner side's step 4: nothing else can take the
//     locks from S while it runs (row locks are not wounded or expired;
//     only S's own end releases them).
//   - Locks are taken in the order of the keys' hashes, table by table in
//     name order, so writers of overlapping batches rarely deadlock; the
//     data rows of a key are only written by a holder of its shadow lock.
//     A deadlock the server still detects (a unique index shared by keys,
//     the application's own transactions) rolls S back, and the attempt is
//     run again while BatchTimeout lasts.
//
// Why a crash anywhere converges: nothing is visible before step 6 commits,
// and all of it is visible after. A crash of the worker, of the connection
// or of the server before the commit rolls S back (the server ends the
// transaction of a closed connection), and the retry starts from the same
// shadow rows; after the commit, the retry finds the records stale.
// Placeholder rows of step 1 are rolled back with S.
//
// Deadlines: an attempt (connecting, every statement, the locks' waits)
// runs under MySQLTimeout, and all attempts of a batch under BatchTimeout.
// An attempt that misses its deadline is abandoned (target.Session.Abandon
// closes the connection and ends its server thread, so its locks go), and
// the batch fails whole as a connection error, to be retried later. Unlike
// the Spanner side, no Spanner transaction is held open meanwhile: the
// deadline only bounds how long a frozen shard holds the worker.

import (
	"context"
	"database/sql"
	"errors"
	"sort"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// applyInSource runs the source-side protocol on ps, retrying an attempt
// the target rolled back (a deadlock) while BatchTimeout lasts.
func (a *Applier) applyInSource(ctx context.Context, db *sql.DB, ps []prepared) (Outcome, error) {
	bctx, cancel := context.WithTimeout(ctx, BatchTimeout)
	defer cancel()
	for {
		out, err := a.sourceAttempt(bctx, db, ps)
		if err == nil {
			return out, nil
		}
		if bctx.Err() != nil || !rolledBack(err) {
			return Outcome{}, timedOut(ctx, bctx, "the batch's transactions", BatchTimeout, err)
		}
	}
}

// rolledBack: the server answered and rolled the transaction back (a
// deadlock victim); the attempt may be run again at once. A deadline is
// not one of these: the shard may be gone.
func rolledBack(err error) bool {
	var te *target.Error
	var tm *TimeoutError
	return errors.As(err, &te) && te.WholeBatch && te.Answered && !errors.As(err, &tm)
}

// sourceAttempt is one attempt of the protocol, in one transaction of the
// shard, under MySQLTimeout.
func (a *Applier) sourceAttempt(ctx context.Context, db *sql.DB, ps []prepared) (out Outcome, err error) {
	mctx, cancel := context.WithTimeout(ctx, MySQLTimeout)
	defer cancel()
	what := "writing the batch to " + a.Target.Name()
	sess, err := a.Target.Connect(mctx, db)
	if err != nil {
		return Outcome{}, timedOut(ctx, mctx, "connecting to "+a.Target.Name(), MySQLTimeout, err)
	}
	defer sess.Close()
	committed := false
	defer func() {
		if err == nil {
			return
		}
		err = timedOut(ctx, mctx, what, MySQLTimeout, err)
		var te *TimeoutError
		if errors.As(err, &te) {
			sess.Abandon(ctx) // closes the connection and ends its server thread
		} else if !committed {
			_ = sess.Rollback()
		}
	}()
	if err := sess.Begin(mctx); err != nil {
		return Outcome{}, err
	}
	stored, err := a.lockSourceShadows(mctx, sess, ps)
	if err != nil {
		return Outcome{}, err
	}
	if a.Hooks.AfterShadowRead != nil {
		if err := a.Hooks.AfterShadowRead(); err != nil {
			return Outcome{}, err
		}
	}
	d := decideBy(ps, stored, sourceKeyID)
	out.Stale, out.Superseded = len(d.Stale), len(d.Superseded)
	if len(d.Apply) == 0 {
		// Only locks were taken, and placeholder rows inserted: committing
		// keeps the placeholders, which the next change of the key reuses.
		committed = true
		return out, sess.Commit()
	}
	var write []target.Change
	var writeFrom []int
	for _, idx := range d.Apply {
		p := ps[idx]
		if !p.row.Filtered {
			write = append(write, target.Change{Row: p.row, Version: p.version,
				Unique: len(a.Mapper.Source.Tables[p.row.Table].UniqueKeys) > 0})
			writeFrom = append(writeFrom, idx)
		}
	}
	clashed := map[int]error{}
	if len(write) > 0 {
		refused, err := sess.Write(mctx, write)
		if err != nil {
			return Outcome{}, err
		}
		for i, e := range refused {
			clashed[writeFrom[i]] = e
		}
	}
	rows := map[string][]target.ShadowRow{}
	tables := map[string]target.ShadowTable{}
	for _, idx := range d.Apply {
		p := ps[idx]
		if e, ok := clashed[idx]; ok {
			// Not written: its shadow row keeps its version, so the retry
			// from the DLQ applies it.
			out.Failed = append(out.Failed, Failure{Record: p.rec, Err: e})
			continue
		}
		if !p.stray { // see decide: a stray delete leaves the shadow row alone
			rows[p.table.Name] = append(rows[p.table.Name], target.ShadowRow{Key: p.srcKey, Version: p.version})
			tables[p.table.Name] = sourceTable(p)
		}
		if p.row.Filtered {
			out.Filtered = append(out.Filtered, p.rec)
		} else {
			out.Applied = append(out.Applied, p.rec)
		}
	}
	for _, name := range sortedNames(tables) {
		if err := sess.WriteShadow(mctx, tables[name], rows[name]); err != nil {
			return Outcome{}, err
		}
	}
	if a.Hooks.BeforeSourceCommit != nil {
		if err := a.Hooks.BeforeSourceCommit(); err != nil {
			return Outcome{}, err
		}
	}
	committed = true
	if err := sess.Commit(); err != nil {
		return Outcome{}, err
	}
	if a.Hooks.AfterMySQLCommit != nil {
		if err := a.Hooks.AfterMySQLCommit(); err != nil {
			return Outcome{}, err
		}
	}
	return out, nil
}

// lockSourceShadows runs steps 1 and 2 for every table of ps, in table
// name order, and returns the stored versions by sourceKeyID.
func (a *Applier) lockSourceShadows(ctx context.Context, sess target.Session, ps []prepared) (map[string]newer.Version, error) {
	keys := map[string][]target.ShadowKey{}
	tables := map[string]target.ShadowTable{}
	for _, p := range ps {
		keys[p.table.Name] = append(keys[p.table.Name], p.srcKey)
		tables[p.table.Name] = sourceTable(p)
	}
	stored := map[string]newer.Version{}
	for _, name := range sortedNames(tables) {
		vs, err := sess.LockShadow(ctx, tables[name], keys[name])
		if err != nil {
			return nil, err
		}
		for h, v := range vs {
			stored[name+"\x00"+h] = v
		}
	}
	return stored, nil
}

// sourceKeyID identifies p's key among the batch's: its shadow table and
// key hash.
func sourceKeyID(p prepared) string { return p.table.Name + "\x00" + string(p.srcKey.Hash) }

func sourceTable(p prepared) target.ShadowTable {
	return target.ShadowTable{Name: p.table.Name, KeyColumns: p.table.KeyColumns}
}

func sortedNames(m map[string]target.ShadowTable) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
