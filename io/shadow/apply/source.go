package apply

// The protocol with the shadow rows in the shard (Applier.InSource,
// shadowTableLocation=source).
//
// Each shard's database holds a shadow table per replicated table
// (target.ShadowTable: the key's identity as primary key, the version as
// processed_commit_ts and record_seq). Per batch, in one transaction S of
// the shard:
//
//  1. claim and lock (target.ShadowSession.LockShadow), table by table:
//     each key of the batch comes with a claim, the version the batch
//     records for it should it have no version: its newest change (none
//     for a key with only stray deletes, see decide). A key without a
//     shadow row gets one holding its claim; every row is locked
//     exclusively; and LockShadow tells the versions stored before and
//     which rows it inserted. MySQL: INSERT ... ON DUPLICATE KEY UPDATE
//     of every key, which counts the rows it finds, then, unless it
//     inserted them all, SELECT ... FOR UPDATE of every key; PostgreSQL:
//     INSERT ... ON CONFLICT DO NOTHING RETURNING h, then SELECT ... FOR
//     UPDATE of the keys it did not insert, if any. A batch of new keys
//     takes one statement;
//  2. keep, per key, only the newest change, and only if it is newer than
//     the stored version (pure/newer, as on the Spanner side); a row
//     inserted in step 1 had none;
//  3. write those changes to the data tables;
//  4. write the versions that the shadow rows do not hold yet: those of
//     keys that had a row; an inserted row already holds its claim, and
//     is set back to no version if its change was refused (a unique
//     clash), so that the retry from the DLQ applies it;
//  5. commit S.
//
// What each step guarantees:
//
//   - Step 1 leaves S holding an exclusive row lock on the shadow row of
//     every key of the batch until S ends. Another writer of one of those
//     keys (a second pipeline, a retryDLQ run, a zombie worker, an
//     overlapping relaunch) blocks in its own step 1 until S commits or
//     rolls back, and then reads what S committed: a locking read (FOR
//     UPDATE, and in InnoDB the duplicate-key path of ON DUPLICATE KEY
//     UPDATE) reads the latest committed row, not a snapshot taken before
//     S committed. So the version S decided against in step 2 is current
//     when S commits, and a writer after S decides against S's version: an
//     older change never overwrites a newer one.
//   - Inserting first is why keys never seen are safe too. A locking read
//     of a row that does not exist locks nothing in PostgreSQL, and in
//     InnoDB takes a gap lock that other writers may share: two writers of
//     a new key would both read "absent", and both apply (PostgreSQL), or
//     deadlock on their inserts (InnoDB). Inserting the row first makes it
//     exist: the first inserter holds its lock, the second waits on the
//     unique index until the first ends, then finds the row and locks it.
//     InnoDB's ON DUPLICATE KEY UPDATE takes an exclusive lock on a row
//     that exists (INSERT IGNORE would take a shared one, and two writers
//     upgrading shared locks deadlock). If the first writer rolls back,
//     the second inserts the row itself.
//   - The claim written in step 1 is the version step 4 would write: a key
//     whose row was inserted had no version, so step 2 applies its newest
//     change, whose version is the claim; step 4 sets the row back to no
//     version when that change was refused (or could not be mapped, and
//     so left the batch: prepare.go), and writes the version itself in
//     any other case where the row does not hold it. So when S
//     commits, every shadow row holds the version of the change S applied
//     to its key, or what it held before; no one else sees the claim
//     earlier (the row is S's uncommitted insert, locked until S ends).
//     Writing the version with the insert is what makes a batch of new
//     keys cheap: no second write of the same rows.
//   - Telling the inserted rows, exactly: PostgreSQL's RETURNING lists
//     the rows the INSERT inserted, and no others. MySQL has no such
//     clause; its shadow rows have a counter (lock_count) that the INSERT
//     sets to 0 in a row it inserts and to 1 or more in a row it finds
//     (target/mysql, dml.InsertShadowRows). That is a change of every row
//     found, so the statement's row count (1 per insert, 2 per update) is
//     the number of keys exactly when every row was inserted, and
//     otherwise the locking read tells them by the counter. The rows are
//     locked by then: no one else changes the counter in between.
//   - The changes (3) and their versions (1, 4) commit together (5): a
//     shadow version never runs ahead of, or behind, the data. There is no
//     re-check like the Spanner side's step 4: nothing else can take the
//     locks from S while it runs (row locks are not wounded or expired;
//     only S's own end releases them).
//   - Locks are taken in the order of the keys' identities, table by table in
//     name order, so writers of overlapping batches rarely deadlock; the
//     data rows of a key are only written by a holder of its shadow lock.
//     A deadlock the server still detects (a unique index shared by keys,
//     the application's own transactions) rolls S back, and the attempt is
//     run again while BatchTimeout lasts.
//
// Why a crash anywhere converges: nothing is visible before step 5 commits,
// and all of it is visible after. A crash of the worker, of the connection
// or of the server before the commit rolls S back (the server ends the
// transaction of a closed connection), and the retry starts from the same
// shadow rows; after the commit, the retry finds the records stale.
// Rows inserted in step 1, with their claims, are rolled back with S.
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
	"slices"
	"sort"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// applyInSource runs the source-side protocol on ps, retrying an attempt
// the target rolled back (a deadlock) while BatchTimeout lasts.
func (a *Applier) applyInSource(ctx context.Context, db *sql.DB, pr *preparation) (Outcome, error) {
	bctx, cancel := context.WithTimeout(ctx, BatchTimeout)
	defer cancel()
	for {
		out, err := a.sourceAttempt(bctx, db, pr)
		if err == nil {
			return out, nil
		}
		if bctx.Err() != nil || !rolledBack(err) {
			return Outcome{}, timedOut(ctx, bctx, "the batch's transactions", BatchTimeout, err)
		}
	}
}

// rolledBack: the server answered and rolled the transaction back because
// of another transaction (a deadlock victim, a lock wait timeout, a
// serialization failure); the attempt may be run again at once, and a
// speculation that met it stands for nothing (speculate.go). A deadline is
// not one of these: the shard may be gone.
func rolledBack(err error) bool {
	var te *target.Error
	var tm *TimeoutError
	return errors.As(err, &te) && te.WholeBatch && te.Answered && !errors.As(err, &tm)
}

// sourceAttempt is one attempt of the protocol, in one transaction of the
// shard, under MySQLTimeout.
func (a *Applier) sourceAttempt(ctx context.Context, db *sql.DB, pr *preparation) (out Outcome, err error) {
	t, err := a.openAttempt(ctx, db)
	if err != nil {
		return Outcome{}, err
	}
	defer func() {
		if err != nil {
			err = t.fail(err)
		} else {
			t.close()
		}
	}()
	sess, mctx := t.sess, t.ctx
	locks, err := a.lockSourceShadows(mctx, sess, pr.keyed)
	if err != nil {
		return Outcome{}, err
	}
	if a.Hooks.AfterShadowRead != nil {
		if err := a.Hooks.AfterShadowRead(); err != nil {
			return Outcome{}, err
		}
	}
	// The rows, mapped meanwhile (prepare.go). A record that could not be
	// mapped is left out: a shadow row inserted with its claim is set
	// back to no version by step 4, as for a refused change.
	ps, _, err := pr.wait()
	if err != nil {
		return Outcome{}, err
	}
	d := decideBy(ps, locks.stored, sourceKeyID)
	out.Stale, out.Superseded = len(d.Stale), len(d.Superseded)
	write, writeFrom := writes(ps, d.Apply)
	clashed := map[int]error{}
	if len(write) > 0 {
		changes := a.changes(write)
		wctx := mctx
		if a.lastWrite(ps, d.Apply, changes, locks) {
			wctx = target.CommitWith(mctx)
		}
		refused, err := sess.Write(wctx, changes)
		if err != nil {
			return Outcome{}, err
		}
		for i, e := range refused {
			clashed[writeFrom[i]] = e
		}
	}
	// recorded: the version each key's shadow row must hold at the commit,
	// for the keys whose change was applied.
	recorded := make(map[string]newer.Version, len(d.Apply))
	out.settle(ps, d.Apply, clashed, func(p prepared) {
		if !p.stray { // see decide: a stray delete leaves the shadow row alone
			recorded[sourceKeyID(p)] = p.version
		}
	})
	for _, w := range locks.versionWrites(recorded) {
		if err := sess.WriteShadow(mctx, w.table, w.rows); err != nil {
			return Outcome{}, err
		}
	}
	if a.Hooks.BeforeSourceCommit != nil {
		if err := a.Hooks.BeforeSourceCommit(); err != nil {
			return Outcome{}, err
		}
	}
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

// lastWrite tells whether step 3's writes end the transaction, so that
// the target may send the commit with them (target.CommitWith): when no
// change is of a table with unique keys, none is refused, so step 4's
// writes are known before step 3, and there are none when every key's
// shadow row already holds what it must (a batch of new keys: the inserts
// of step 1 wrote the claims). A test's BeforeSourceCommit hook keeps the
// commit apart.
func (a *Applier) lastWrite(ps []prepared, apply []int, changes []target.Change, locks sourceLocks) bool {
	if a.Hooks.BeforeSourceCommit != nil || slices.ContainsFunc(changes, func(c target.Change) bool { return c.Unique }) {
		return false
	}
	recorded := make(map[string]newer.Version, len(apply))
	for _, idx := range apply { // as settle records them, nothing refused
		if p := ps[idx]; !p.stray {
			recorded[sourceKeyID(p)] = p.version
		}
	}
	return len(locks.versionWrites(recorded)) == 0
}

// sourceLocks is step 1's outcome for a batch, by sourceKeyID.
type sourceLocks struct {
	stored   map[string]newer.Version
	inserted map[string]bool
	// claims holds each key's claim and its table, in table name order.
	claims []sourceClaim
}

type sourceClaim struct {
	id    string
	table target.ShadowTable
	row   target.ShadowRow
}

// tableWrite is one WriteShadow of step 4.
type tableWrite struct {
	table target.ShadowTable
	rows  []target.ShadowRow
}

// lockSourceShadows runs step 1 for every table of ps, in table name
// order. A key's claim is the version of its newest change that is not a
// stray delete (decide leaves those out of the rule), none when it has
// only those.
func (a *Applier) lockSourceShadows(ctx context.Context, sess target.Session, ps []prepared) (sourceLocks, error) {
	byID := make(map[string]int, len(ps)) // index into claims
	claims := make([]sourceClaim, 0, len(ps))
	for _, p := range ps {
		id := sourceKeyID(p)
		i, ok := byID[id]
		if !ok {
			i = len(claims)
			byID[id] = i
			claims = append(claims, sourceClaim{id: id, table: sourceTable(p), row: target.ShadowRow{Key: p.srcKey, Unversioned: true}})
		}
		c := &claims[i].row
		if !p.stray && (c.Unversioned || p.version.After(c.Version)) {
			c.Version, c.Unversioned = p.version, false
		}
	}
	sort.SliceStable(claims, func(i, j int) bool { return claims[i].table.Name < claims[j].table.Name })
	l := sourceLocks{stored: make(map[string]newer.Version, len(claims)), inserted: make(map[string]bool, len(claims)), claims: claims}
	for start := 0; start < len(claims); {
		end := start
		rows := make([]target.ShadowRow, 0, len(claims)-start)
		for ; end < len(claims) && claims[end].table.Name == claims[start].table.Name; end++ {
			rows = append(rows, claims[end].row)
		}
		name := claims[start].table.Name
		got, err := sess.LockShadow(ctx, claims[start].table, rows)
		if err != nil {
			return l, err
		}
		for h, v := range got.Stored {
			l.stored[srcKeyID(name, h)] = v
		}
		if got.AllInserted {
			for _, c := range claims[start:end] {
				l.inserted[c.id] = true
			}
		}
		for h := range got.Inserted {
			l.inserted[srcKeyID(name, h)] = true
		}
		start = end
	}
	return l, nil
}

// versionWrites are step 4's writes, table by table in name order: the
// version of every key in recorded whose row does not hold it yet, and no
// version for a row inserted with a claim that no applied change
// confirmed.
func (l sourceLocks) versionWrites(recorded map[string]newer.Version) []tableWrite {
	var out []tableWrite
	for _, c := range l.claims {
		v, applied := recorded[c.id]
		var row target.ShadowRow
		switch {
		case l.inserted[c.id] && applied && !c.row.Unversioned && c.row.Version == v:
			continue // the insert wrote it
		case applied:
			row = target.ShadowRow{Key: c.row.Key, Version: v}
		case l.inserted[c.id] && !c.row.Unversioned:
			row = target.ShadowRow{Key: c.row.Key, Unversioned: true}
		default:
			continue // left as it was
		}
		if len(out) == 0 || out[len(out)-1].table.Name != c.table.Name {
			out = append(out, tableWrite{table: c.table})
		}
		out[len(out)-1].rows = append(out[len(out)-1].rows, row)
	}
	return out
}

// sourceKeyID identifies p's key among the batch's: its shadow table and
// key identity (made once, by key: srcKeyID).
func sourceKeyID(p prepared) string { return p.srcID }

// srcKeyID is sourceKeyID of the key of identity id (target.ShadowKey.ID)
// in shadow table table.
func srcKeyID(table, id string) string { return table + "\x00" + id }

func sourceTable(p prepared) target.ShadowTable {
	return target.ShadowTable{Name: p.table.Name, KeyColumns: p.table.KeyColumns}
}
