// Package apply applies batches of row changes to a MySQL shard, guarded by
// the shadow tables so that only changes newer than what was applied for a
// primary key reach MySQL. The MySQL side of each step (the transaction M,
// its statements, KILL) is a target.Session of io/target/mysql; this
// package is the protocol.
//
// The protocol, per batch, in one Spanner read-write transaction T on the
// metadata database:
//
//  1. read the shadow rows of every key in the batch with an exclusive lock
//     (shadow.LockingRead; absent rows are locked as keys);
//  2. keep, per key, only the newest change, and only if it is newer than
//     the shadow row;
//  3. apply those changes to MySQL in one transaction M (InnoDB locks the
//     rows written, and holds the locks until M ends; on PostgreSQL, M
//     first locks the keys it writes, keylock.go); M usually starts
//     beside step 1, written for the decision step 2 takes when no shadow
//     row is newer, and stands for step 3 only if step 2 takes that
//     decision (speculation, speculate.go);
//  4. re-read one shadow row (exclusive): this fails if T has lost its
//     locks;
//  5. commit M; 6. buffer the new shadow rows; 7. commit T.
//
// What each step guarantees:
//
//   - The exclusive locks of step 1 order the writers of a key (two
//     pipelines, a retryDLQ run beside the regular job, a zombie worker, an
//     overlapping relaunch): while T holds them no other transaction can
//     read the shadow rows with a lock or write them, so the versions T
//     decided against in step 2 stay current. Shared locks (the default)
//     would let two writers read the same old version, both pass step 4,
//     and both commit MySQL in either order: MySQL could end at the older
//     version with the shadow row at the newer, and nothing repairs that.
//   - Step 4 proves that T still held its locks just before M commits. T
//     loses them when an older transaction wants them (Spanner's wound-wait
//     aborts the younger holder) or when it idles too long; a transaction
//     that lost them fails its next operation (ABORTED, or NOT_FOUND /
//     FAILED_PRECONDITION for an expired one and on the emulator), so one
//     read is enough; T then rolls M back and retries, and nothing was
//     visible.
//   - If T loses its locks after step 4, M may still commit, but step 7
//     fails, so T is retried (the client retries ABORTED; ApplyIsolating's
//     caller sends the records to retry/). The writer W that took the locks
//     read the shadow rows as they were before T (T's shadow writes never
//     committed) after step 4, so its MySQL statements run after M's (step
//     3) and, on every row M changed, wait for M's row locks (on
//     PostgreSQL, whose DELETE does not wait for a row M inserted, for
//     M's key locks: keylock.go): they land after M's. W commits its
//     version to both; T's retry re-decides against W's version and
//     re-applies T's change if that is the newer one. The newest version is
//     applied last.
//   - The shadow row is written (6, 7) only after M committed (5), so the
//     shadow version of a key never exceeds what MySQL holds: a change
//     older than the shadow version was applied already, or was superseded
//     by one applied later, and is never applied.
//
// Why a crash anywhere converges: before step 5 nothing is visible. Between
// 5 and 7 MySQL holds versions newer than the shadow rows say; a retry
// re-reads the old shadow rows, applies the same changes again (upserts and
// deletes of full rows are idempotent) and commits the shadow rows. A
// record that is not retried (its batch failed and it went to the DLQ) is
// the DLQ's to bring back; until then MySQL may hold it or an older change.
//
// A shard that stops answering cannot hold a batch, or its Spanner
// transaction, for longer than the deadlines of deadline.go: the batch
// then fails whole, as a connection error, and is retried later like any
// batch whose Spanner commit failed (one whose commit landed after all is
// found stale then).
package apply

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// Applier applies batches for one pipeline; it is safe for concurrent use.
type Applier struct {
	Meta         *spanner.Client // metadata database, holding the shadow tables
	ShadowPrefix string
	Spanner      schema.Spanner
	Mapper       mapping.Mapper
	// Target is the kind of the shards' databases: their sessions write
	// the rows (steps 3 to 5).
	Target   target.Target
	Priority spannerpb.RequestOptions_Priority
	// Transform is the custom transformation, nil when none is set.
	Transform transformation.Transformer
	// InSource keeps the shadow rows in the shards (shadowTableLocation=
	// source): the protocol of source.go, in which Meta is not used.
	InSource bool
	// NoSpeculation runs step 3 only after step 1 (speculate.go); the
	// bench measures what speculation brings with it.
	NoSpeculation bool
	// SpeculationWait overrides DefaultSpeculationWait (tests).
	SpeculationWait time.Duration
	// Turn, when set, is held around each batch's Spanner transaction, so
	// that the writer's transactions take turns (emulator.ReadWriteTurn:
	// on the emulator, which runs one at a time).
	Turn sync.Locker
	// Hooks lets tests inject crashes between protocol steps.
	Hooks Hooks

	paused atomic.Int32 // batches left to run without speculation
}

// Hooks are called between protocol steps; a non-nil error aborts there.
type Hooks struct {
	// BeforeShadowRead runs in each attempt of the batch's Spanner
	// transaction just before step 1 (before the transaction has read
	// anything), once the batch's speculation, if any, has started.
	BeforeShadowRead func(speculating bool) error
	AfterShadowRead  func() error
	AfterMySQLCommit func() error
	// BeforeSourceCommit runs, with InSource, after the changes and the
	// shadow rows were written and before the target commits.
	BeforeSourceCommit func() error
	// Speculated tells whether a batch's speculation stood for step 3
	// (speculate.go).
	Speculated func(used bool)
	// SpeculativeWrite runs when a speculation's statements are done,
	// before it waits for step 1.
	SpeculativeWrite func()
}

// Failure is a record that could not be applied, with why.
type Failure struct {
	Record record.Record
	Err    error
}

// Outcome summarises a batch.
type Outcome struct {
	Applied []record.Record
	// Filtered were dropped by the custom transformation: not written to
	// MySQL, but their shadow rows advanced as if they had been.
	Filtered   []record.Record
	Stale      int // not newer than the shadow row: already applied
	Superseded int // replaced by a newer change of the same key in the batch
	Failed     []Failure
}

// prepared is a record made ready for the protocol.
type prepared struct {
	// rec is the batch's record (Apply's caller holds the batch until
	// Apply returns, unchanged).
	rec     *record.Record
	table   shadow.Table
	key     spanner.Key
	version newer.Version
	row     mapping.Row
	// stray: a verification's delete of a row in a shard its key does
	// not belong to (verify.StrayTag); see decide.
	stray bool
	// srcKey is key as the shard's shadow table stores it (InSource).
	srcKey target.ShadowKey
	// id identifies key among the batch's keys and the shadow rows read:
	// the shadow table's name and the key's text (decide). Not set with
	// InSource, which uses srcID.
	id string
	// srcID stands for id with InSource: the table's name and srcKey
	// (sourceKeyID).
	srcID string
}

// decide applies the shadow rule (package newer) to the batch, by index
// into ps. A stray delete (runMode=verify found the row in a shard that
// the key is not routed to) leaves the shadow row alone and is applied
// unless the shadow row is strictly newer (see decideBy): the shadow row orders the changes of the key in its own shard,
// which never writes to this one, and a version of the stray delete would
// make the repair of the key's own shard look stale. Spanner side only:
// with InSource, prepared.id is not set (decideBy by sourceKeyID instead).
func decide(ps []prepared, stored map[string]newer.Version) newer.Decision {
	return decideBy(ps, stored, func(p prepared) string { return p.id })
}

// decideBy is decide with the shadow row's key given by keyOf (the
// metadata database's or the shard's shadow table, see InSource).
//
// A stray delete (verify.StrayTag) takes no part in the rule for the
// other changes of its key and writes no shadow row, but it is stale when
// the key's shadow row, or a change of the key in the batch, is strictly
// newer than it: the key changed after verify saw the stray copy (e.g.
// the row moved into that shard), and deleting now would remove a
// legitimate row that no retry brings back (in the batch's case, the
// delete would run after the newer change's upsert, whose version the
// shadow row then holds). A later verify finds the copy again if it is
// still stray.
func decideBy(ps []prepared, stored map[string]newer.Version, keyOf func(prepared) string) newer.Decision {
	changes := make([]newer.Change, 0, len(ps))
	from := make([]int, 0, len(ps))
	var strays, staleStrays []int
	newestInBatch := newestChanges(ps, keyOf)
	for i, p := range ps {
		if p.stray {
			k := keyOf(p)
			s, ok := stored[k]
			b, inBatch := newestInBatch[k]
			if ok && s.After(p.version) || inBatch && b.After(p.version) {
				staleStrays = append(staleStrays, i)
			} else {
				strays = append(strays, i)
			}
			continue
		}
		changes = append(changes, newer.Change{Key: keyOf(p), Version: p.version})
		from = append(from, i)
	}
	d := newer.Decide(changes, stored)
	remap := func(idx []int) []int {
		out := make([]int, len(idx))
		for i, j := range idx {
			out[i] = from[j]
		}
		return out
	}
	return newer.Decision{Apply: append(remap(d.Apply), strays...), Superseded: remap(d.Superseded), Stale: append(remap(d.Stale), staleStrays...)}
}

// newestChanges is the newest version of each key among the changes of
// ps that are not stray deletes; nil when ps has no stray delete (only
// those need it).
func newestChanges(ps []prepared, keyOf func(prepared) string) map[string]newer.Version {
	if !slices.ContainsFunc(ps, func(p prepared) bool { return p.stray }) {
		return nil
	}
	out := map[string]newer.Version{}
	for _, p := range ps {
		if p.stray {
			continue
		}
		k := keyOf(p)
		if v, ok := out[k]; !ok || p.version.After(v) {
			out[k] = p.version
		}
	}
	return out
}

// Apply applies batch to db. Records that cannot even be prepared (bad keys,
// values MySQL cannot hold) come back in Outcome.Failed; the others are
// applied or skipped as older. An error means nothing of the batch was
// committed to Spanner and the whole batch may be retried. Records come
// completed (transforms.Complete): a change record's missing values were
// read before. The batch is read, never changed, until Apply returns, and
// must not change meanwhile; nothing of it is kept afterwards.
func (a *Applier) Apply(ctx context.Context, db *sql.DB, batch []record.Record) (Outcome, error) {
	pr := a.prepareAll(ctx, batch)
	out, err := a.applyPrepared(ctx, db, pr)
	return pr.settle(out, err)
}

// applyPrepared runs the protocol on prepared records; see Apply.
func (a *Applier) applyPrepared(ctx context.Context, db *sql.DB, pr *preparation) (Outcome, error) {
	var out Outcome
	if len(pr.keyed) == 0 {
		return out, nil
	}
	if a.InSource {
		return a.applyInSource(ctx, db, pr)
	}
	// out.Failed holds the rows the target refused one by one (unique
	// keys, target.ApplyUnique); the deadline is deadline.go's.
	if a.Turn != nil {
		a.Turn.Lock()
		defer a.Turn.Unlock()
	}
	tctx, cancel := context.WithTimeout(ctx, BatchTimeout)
	defer cancel()
	_, err := a.Meta.ReadWriteTransactionWithOptions(tctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		out = Outcome{} // a retried attempt starts afresh
		spec := a.speculate(ctx, db, pr)
		defer spec.discard()
		if a.Hooks.BeforeShadowRead != nil {
			if err := a.Hooks.BeforeShadowRead(spec != nil); err != nil {
				return err
			}
		}
		stored, err := readVersions(ctx, tx, pr.keyed)
		if err != nil {
			return err
		}
		if a.Hooks.AfterShadowRead != nil {
			if err := a.Hooks.AfterShadowRead(); err != nil {
				return err
			}
		}
		// The rows, mapped meanwhile (prepare.go); a record that could
		// not be mapped is left out, its shadow row read for nothing.
		ps, _, err := pr.wait()
		if err != nil {
			return err
		}
		d := decide(ps, stored)
		useSpec := spec.usable(d.Apply)
		if spec != nil && !spec.skipped {
			if useSpec {
				a.used()
			} else {
				spec.discard()
				a.wasted()
			}
		}
		out.Stale, out.Superseded = len(d.Stale), len(d.Superseded)
		if len(d.Apply) == 0 {
			return nil
		}
		write, writeFrom := writes(ps, d.Apply)
		clashed := map[int]error{}
		if len(write) > 0 {
			var c map[int]error
			if useSpec {
				c, err = a.commitSpeculation(tx, spec)
			} else {
				c, err = a.writeMySQL(ctx, tx, db, write)
			}
			if err != nil {
				return err
			}
			for i, e := range c {
				clashed[writeFrom[i]] = e
			}
		}
		muts := make([]*spanner.Mutation, 0, len(d.Apply))
		out.settle(ps, d.Apply, clashed, func(p prepared) {
			if !p.stray { // see decide: a stray delete leaves the shadow row alone
				muts = append(muts, p.table.Mutation(p.key, p.version))
			}
		})
		return tx.BufferWrite(muts)
	}, spanner.TransactionOptions{CommitPriority: a.Priority})
	if err = timedOut(ctx, tctx, "the batch's Spanner transaction", BatchTimeout, err); err != nil {
		return Outcome{}, err
	}
	return out, nil
}

func readVersions(ctx context.Context, tx *spanner.ReadWriteTransaction, ps []prepared) (map[string]newer.Version, error) {
	byTable := map[string][]spanner.Key{}
	tables := map[string]shadow.Table{}
	for _, p := range ps {
		byTable[p.table.Name] = append(byTable[p.table.Name], p.key)
		tables[p.table.Name] = p.table
	}
	stored := map[string]newer.Version{}
	for name, keys := range byTable {
		vs, err := tables[name].ReadVersions(ctx, tx, keys)
		if err != nil {
			return nil, err
		}
		for k, v := range vs {
			stored[name+k] = v // shadowID: the table's name and the key's text
		}
	}
	return stored, nil
}

// writes are the changes of decision (indexes into ps) that reach the
// target, the filtered ones left out, with the index into ps of each.
func writes(ps []prepared, decision []int) (write []*prepared, from []int) {
	write, from = make([]*prepared, 0, len(decision)), make([]int, 0, len(decision))
	for _, idx := range decision {
		if !ps[idx].row.Filtered {
			write, from = append(write, &ps[idx]), append(from, idx)
		}
	}
	return write, from
}

// settle files the changes of decision once the target wrote them: those
// it refused (clashed, by index into ps) fail with their error and keep
// their shadow rows, so the retry from the DLQ applies them; the others
// are applied or filtered, and recorded, which records their versions.
func (out *Outcome) settle(ps []prepared, decision []int, clashed map[int]error, recorded func(prepared)) {
	if len(decision) > 0 {
		out.Applied = make([]record.Record, 0, len(decision))
	}
	for _, idx := range decision {
		p := ps[idx]
		if e, ok := clashed[idx]; ok {
			out.Failed = append(out.Failed, Failure{Record: *p.rec, Err: e})
			continue
		}
		recorded(p)
		if p.row.Filtered {
			out.Filtered = append(out.Filtered, *p.rec)
		} else {
			out.Applied = append(out.Applied, *p.rec)
		}
	}
}

// writeMySQL writes the rows in a target transaction of its own (step 3)
// and commits it (steps 4 and 5, see commit). Rows of tables with
// secondary unique indexes that the target refused come back by index into
// apply, with their errors; the others are committed.
func (a *Applier) writeMySQL(ctx context.Context, tx *spanner.ReadWriteTransaction, db *sql.DB, apply []*prepared) (map[int]error, error) {
	changes := a.changes(apply)
	t, err := a.openWriting(ctx, db, changes)
	if err != nil {
		return nil, err
	}
	refused, err := t.sess.Write(t.ctx, changes)
	if err != nil {
		return nil, t.fail(err)
	}
	if err := a.commit(tx, t, apply[0]); err != nil {
		return nil, err
	}
	return refused, nil
}

// changes are the rows of apply as the target writes them.
func (a *Applier) changes(apply []*prepared) []target.Change {
	changes := make([]target.Change, len(apply))
	for i, p := range apply {
		changes[i] = target.Change{Row: p.row, Version: p.version,
			Unique: len(a.Mapper.Source.Tables[p.row.Table].UniqueKeys) > 0}
	}
	return changes
}

// commit re-checks the shadow locks (step 4, through one of the batch's
// keys, first) and commits the target's transaction t, whose statements
// all ended (step 5). t is over when commit returns.
func (a *Applier) commit(tx *spanner.ReadWriteTransaction, t *attempt, first *prepared) error {
	if err := a.checkAlive(t.ctx, tx, first); err != nil {
		return t.fail(err)
	}
	if err := t.sess.Commit(); err != nil {
		return t.fail(err)
	}
	t.close()
	if a.Hooks.AfterMySQLCommit != nil {
		if err := a.Hooks.AfterMySQLCommit(); err != nil {
			return err
		}
	}
	return nil
}

// checkAlive makes sure, just before MySQL commits, that the Spanner
// transaction still holds its locks on the shadow rows. While it does, no
// other transaction can have changed them (the step-4 re-check). A
// transaction that lost them (wounded by an older one, or expired) fails on
// its next operation, so one read is enough to find out; re-reading every
// row, as the Java template does, costs a second full read per batch.
func (a *Applier) checkAlive(ctx context.Context, tx *spanner.ReadWriteTransaction, p *prepared) error {
	_, err := tx.ReadRowWithOptions(ctx, p.table.Name, p.key, []string{shadow.SeqColumn}, shadow.LockingRead())
	if err != nil && spanner.ErrCode(err) != codes.NotFound {
		return fmt.Errorf("re-checking shadow table %s before the MySQL commit: %w", p.table.Name, err)
	}
	return nil
}
