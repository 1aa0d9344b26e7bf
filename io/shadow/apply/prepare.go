package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Preparing a batch, once (a batch that is then split, ApplyIsolating,
// is not prepared again), in two parts:
//
//   - keying: each record's table, Spanner key, version (and, with
//     InSource, the key as the shard's shadow table holds it), on the
//     mapping goroutines (each keys its run first), the caller waiting
//     for all of them. That is all the shadow rows' read (step 1, or the
//     source-side lock) and the decision need;
//   - mapping: decoding the new values, the custom transformation, and
//     converting every value to the target's type. Most of the CPU, and
//     only the target's statements (step 3) need it.
//
// Without a custom transformation the mapping runs on other goroutines (up
// to GOMAXPROCS, a run of records each) while the batch waits for its turn
// (Applier.Turn), starts its transactions and reads or locks its shadow
// rows, which are round trips during which the CPU would be idle; the
// protocol waits for the rows only where it needs them (preparation.wait),
// and so does a speculation (speculate.go). A custom transformation is the
// user's code, not known to be safe for concurrent use, nor quick: with
// one, records are mapped one at a time, before the batch's transactions
// start, so the user's code never runs while the batch holds locks.
//
// A record that cannot be keyed or mapped fails on its own
// (Outcome.Failed). One that is keyed but not mapped had its shadow row
// read, or locked, for nothing: the decision leaves it out, so no shadow
// row records it (on the source side, a row inserted for it is set back to
// no version, as for a change the target refused).

// preparation is a batch being prepared.
type preparation struct {
	// keyed are the records whose key is known, in the batch's order,
	// their rows not set: the goroutines share it, read only.
	keyed []prepared
	done  chan struct{}
	// Set before done closes.
	ps       []prepared // keyed whose rows were mapped, with their rows
	failed   []Failure  // the records that could not be prepared, in the batch's order
	panicked string     // a panic while mapping, with its stack
}

// errPreparePanicked ends a batch whose mapping panicked; settle raises
// the panic again on the caller's goroutine.
var errPreparePanicked = errors.New("preparing a record panicked")

// wait returns the prepared records and the failures once the mapping is
// done, or errPreparePanicked.
func (pr *preparation) wait() ([]prepared, []Failure, error) {
	<-pr.done
	if pr.panicked != "" {
		return nil, nil, errPreparePanicked
	}
	return pr.ps, pr.failed, nil
}

// settle is the batch's outcome once the protocol returned out and err:
// the records that could not be prepared join out's failures, first. A
// panic while mapping (a bug in a converter) is raised again here, on the
// caller's goroutine, as when the caller mapped every record itself: the
// runner fails (and retries) the bundle of a DoFn that panics, whereas a
// panic on a goroutine of its own would end the worker process and every
// bundle in it. The stack where it happened goes with it.
func (pr *preparation) settle(out Outcome, err error) (Outcome, error) {
	<-pr.done
	if pr.panicked != "" {
		panic(pr.panicked)
	}
	out.Failed = append(pr.failed, out.Failed...)
	return out, err
}

// preparedAlready is a preparation of records prepared before (the halves
// of a split batch).
func preparedAlready(ps []prepared) *preparation {
	done := make(chan struct{})
	close(done)
	return &preparation{keyed: ps, ps: ps, done: done}
}

// minPerPreparer is the fewest records worth a goroutine of prepareAll.
const minPerPreparer = 64

// mapped is a record's row, or why it could not be mapped.
type mapped struct {
	row mapping.Row
	err error
}

// prepareAll keys every record of batch and maps their rows: one at a
// time with a custom transformation, on the caller's goroutine; otherwise
// on up to GOMAXPROCS goroutines, a run of records each, which key their
// runs first, the preparation returned as soon as every record is keyed
// (see above).
func (a *Applier) prepareAll(ctx context.Context, batch []record.Record) *preparation {
	pr := &preparation{done: make(chan struct{})}
	// all[i] is batch[i] keyed, unless keyErr[i]; each goroutine writes
	// its run's, before keying.Done, and no one writes them after.
	all := make([]prepared, len(batch))
	keyErr := make([]error, len(batch))
	keys := make([]map[string]json.RawMessage, len(batch)) // each record's, decoded while keying
	rows := make([]mapped, len(batch))
	var keying, mapping sync.WaitGroup
	var panicked atomic.Pointer[string]
	if a.Transform != nil {
		k := keyer{a: a}
		for i := range batch {
			if all[i], keys[i], keyErr[i] = k.key(&batch[i]); keyErr[i] == nil {
				rows[i] = a.mapRecord(ctx, &batch[i], keys[i])
			}
		}
	} else {
		workers := max(1, min(runtime.GOMAXPROCS(0), len(batch)/minPerPreparer))
		per := (len(batch) + workers - 1) / workers
		for lo := 0; lo < len(batch); lo += per {
			hi := min(len(batch), lo+per)
			keying.Add(1)
			mapping.Go(func() {
				stillKeying := true
				defer func() {
					if r := recover(); r != nil {
						msg := fmt.Sprintf("preparing a record: %v\n%s", r, debug.Stack())
						panicked.CompareAndSwap(nil, &msg)
					}
					if stillKeying {
						keying.Done()
					}
				}()
				k := keyer{a: a}
				for i := lo; i < hi; i++ {
					all[i], keys[i], keyErr[i] = k.key(&batch[i])
				}
				stillKeying = false
				keying.Done()
				// The caller, woken by the last Done, goes on with the
				// batch now, not once this goroutine is preempted.
				runtime.Gosched()
				for i := lo; i < hi; i++ {
					if keyErr[i] == nil {
						rows[i] = a.mapRecord(ctx, &batch[i], keys[i])
					}
				}
			})
		}
		keying.Wait()
	}
	if panicked.Load() == nil { // otherwise nothing is keyed: settle raises the panic
		pr.keyed = all
		if slices.ContainsFunc(keyErr, func(err error) bool { return err != nil }) {
			pr.keyed = make([]prepared, 0, len(batch))
			for i := range all {
				if keyErr[i] == nil {
					pr.keyed = append(pr.keyed, all[i])
				}
			}
		}
	}
	finish := func() {
		defer close(pr.done)
		mapping.Wait()
		if m := panicked.Load(); m != nil {
			pr.panicked = *m
			return
		}
		pr.ps = make([]prepared, 0, len(pr.keyed))
		for i, r := range batch {
			err := keyErr[i]
			if err == nil {
				if err = rows[i].err; err == nil {
					p := all[i]
					p.row = rows[i].row
					pr.ps = append(pr.ps, p)
					continue
				}
			}
			pr.failed = append(pr.failed, Failure{Record: r, Err: err})
		}
	}
	if a.Transform != nil {
		finish()
	} else {
		go finish()
	}
	return pr
}

// prepare keys and maps one record (tests).
func (a *Applier) prepare(ctx context.Context, r record.Record) (prepared, error) {
	ps, failed, err := a.prepareAll(ctx, []record.Record{r}).wait()
	switch {
	case err != nil:
		return prepared{}, err
	case len(failed) > 0:
		return prepared{}, failed[0].Err
	}
	return ps[0], nil
}

// tableKeying is what keying needs of a record's table, the same for
// every record of the table: a run of records keys them against the last
// table's (keyer), not looking it up, nor building its shadow table's
// name and key columns, once per record.
type tableKeying struct {
	name   string // the Spanner table
	t      schema.SpannerTable
	shadow shadow.Table
	err    error // the table cannot be keyed, or mapped
}

// keyer keys a run of records, one goroutine's.
type keyer struct {
	a    *Applier
	last *tableKeying
}

// table is the keying of Spanner table name.
func (k *keyer) table(name string) *tableKeying {
	if k.last != nil && k.last.name == name {
		return k.last
	}
	tk := &tableKeying{name: name}
	t, ok := k.a.Spanner.Tables[name]
	switch {
	case !ok:
		tk.err = fmt.Errorf("table %q is not in the Spanner schema read at launch", name)
	default:
		tk.t, tk.err = t, k.a.Mapper.Check(name)
		cols := make([]string, len(t.PrimaryKey))
		for i, c := range t.PrimaryKey {
			cols[i] = c.Column
		}
		tk.shadow = shadow.Table{Name: shadow.TableName(k.a.ShadowPrefix, t.Name), KeyColumns: cols}
	}
	k.last = tk
	return tk
}

// key is the first part of preparing r: everything but its row. It also
// returns r's keys, decoded (mapRecord reads them).
func (k *keyer) key(r *record.Record) (prepared, map[string]json.RawMessage, error) {
	a := k.a
	tk := k.table(r.TableName)
	if tk.err != nil {
		return prepared{}, nil, tk.err
	}
	t := tk.t
	keys, err := r.Mod.DecodeKeys()
	if err != nil {
		return prepared{}, nil, fmt.Errorf("table %s: %w", r.TableName, err)
	}
	key, err := shadow.KeyOf(t, keys)
	if err != nil {
		return prepared{}, nil, err
	}
	seq, err := r.Sequence()
	if err != nil {
		return prepared{}, nil, err
	}
	name := tk.shadow.Name
	var srcKey target.ShadowKey
	var id, srcID string
	if a.InSource {
		if srcKey, err = shadow.SourceKey(key); err != nil {
			return prepared{}, nil, fmt.Errorf("table %s: %w", r.TableName, err)
		}
		srcID = srcKeyID(name, string(srcKey.ID))
	} else {
		id = shadowID(name, key)
	}
	return prepared{
		srcKey:  srcKey,
		srcID:   srcID,
		rec:     r,
		table:   tk.shadow,
		key:     key,
		id:      id,
		version: newer.Version{CommitTs: r.CommitTimestamp, Seq: seq},
		// A row of a delete is a delete (mapping.Row.Delete), filtered or not.
		stray: r.TransactionTag == verify.StrayTag && r.ModType == record.ModDelete,
	}, keys, nil
}

// shadowID identifies key's shadow row in shadow table table among the
// batch's (prepared.id).
func shadowID(table string, key spanner.Key) string { return table + shadow.KeyText(key) }

// mapRecord is the second part of preparing r, once keyed (keys are its
// keys, decoded by key): its row.
func (a *Applier) mapRecord(ctx context.Context, r *record.Record, keys map[string]json.RawMessage) mapped {
	vals, err := r.Mod.DecodeNewValues()
	if err != nil {
		return mapped{err: fmt.Errorf("table %s: %w", r.TableName, err)}
	}
	v := record.Values{Keys: keys, New: vals}
	row, err := a.mapRow(ctx, *r, v)
	return mapped{row: row, err: err}
}

// mapRow runs the custom transformation, if any, then maps the record. A
// table that is not at the source is not handed to the transformation:
// mapping sends it to the skip directory.
func (a *Applier) mapRow(ctx context.Context, r record.Record, v record.Values) (mapping.Row, error) {
	if a.Transform == nil || !a.Mapper.AtSource(r.TableName) {
		return a.Mapper.ToSourceWith(r, v, nil)
	}
	resp, err := transformation.Apply(ctx, a.Transform, r, v)
	if err != nil {
		return mapping.Row{}, err
	}
	if resp.IsEventFiltered {
		return mapping.Row{Table: r.TableName, Filtered: true, Delete: r.ModType == record.ModDelete}, nil
	}
	return a.Mapper.ToSourceWith(r, v, resp.ResponseRow)
}
