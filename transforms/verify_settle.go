package transforms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

func init() {
	register.DoFn4x1[context.Context, beam.EventTime, Candidate, func(beam.EventTime, string, int64), error](&settleFn{})
}

var (
	verifyRechecked = beam.NewCounter("verify", "keys_rechecked")
	verifyRepairs   = beam.NewCounter("verify", "repairs_written")
)

// settleFn decides what a differing key is. A key the regular job may
// still be applying a change of (verify.Settle: its shadow row is newer
// than the read timestamp, or the applied watermark has not passed it) is
// read again once the watermark has passed the read timestamp (or after
// RecheckWait), at a timestamp the watermark covers: equal then, or its
// shadow row newer than that, it was in flight; otherwise it is a
// mismatch. Mismatches go to the run's mismatches files and, with
// Repair, to retry/ as the current Spanner row (or a delete).
type settleFn struct {
	VerifyConfig

	exp    *expecter
	data   *spanner.Client
	reader spannerread.Reader
	meta   *spanner.Client
	wm     *spanner.Client
	pools  *shardPools
	counts tally
	lines  [][]byte
	fixes  [][]byte

	// watermark is the regular job's applied watermark as last read;
	// hasJob is false when there is no regular job (nothing in flight).
	watermark time.Time
	hasJob    bool
	read      bool
	// stalled: a recheck on this instance already waited RecheckWait for
	// the watermark in vain. The regular job is not moving, so later keys
	// recheck at once instead of waiting RecheckWait each.
	stalled bool
}

func (f *settleFn) Setup(ctx context.Context) error {
	var err error
	if f.exp, err = newExpecter(ctx, f.VerifyConfig); err != nil {
		return err
	}
	if f.data, err = spanner.NewClient(ctx, f.Database); err != nil {
		return fmt.Errorf("connecting to %s: %w", f.Database, err)
	}
	f.reader = spannerread.Reader{Client: f.data, Priority: spannerpb.RequestOptions_Priority(f.Priority)}
	if f.meta, err = spanner.NewClient(ctx, f.MetadataDatabase); err != nil {
		return fmt.Errorf("connecting to metadata database %s: %w", f.MetadataDatabase, err)
	}
	f.wm = f.meta
	if f.WatermarkDatabase != "" && f.WatermarkDatabase != f.MetadataDatabase {
		if f.wm, err = spanner.NewClient(ctx, f.WatermarkDatabase); err != nil {
			return fmt.Errorf("connecting to %s: %w", f.WatermarkDatabase, err)
		}
	}
	f.pools, err = openShards(ctx, f.VerifyConfig)
	return err
}

func (f *settleFn) Teardown() {
	for _, c := range []*spanner.Client{f.data, f.meta} {
		if c != nil {
			c.Close()
		}
	}
	if f.wm != nil && f.wm != f.meta {
		f.wm.Close()
	}
	if f.pools != nil {
		f.pools.close()
	}
	if f.exp != nil {
		f.exp.close()
	}
}

// maxHeldLines bounds the mismatch lines and repairs a bundle holds
// before they are written out: a bundle may hold any number of keys.
const maxHeldLines = 5000

func (f *settleFn) ProcessElement(ctx context.Context, at beam.EventTime, c Candidate, _ func(beam.EventTime, string, int64)) error {
	if err := f.settle(ctx, at, c); err != nil {
		return err
	}
	if len(f.lines)+len(f.fixes) >= maxHeldLines {
		return f.write(ctx)
	}
	return nil
}

// settle decides what c is, and records it (counts, lines, fixes).
func (f *settleFn) settle(ctx context.Context, at beam.EventTime, c Candidate) error {
	k, err := verify.ParseKey(c.Key)
	if err != nil {
		return err
	}
	if verify.Outcome(c.Outcome) == verify.Ambiguous {
		// Not a change in flight: the mapping puts several rows on one
		// target key. Reported, never repaired.
		f.counts.add(at, verify.Count{Table: k.Table, Shard: k.Shard, Kind: string(verify.Ambiguous)}, 1)
		f.lines = append(f.lines, verify.Mismatch{Shard: k.Shard, Table: k.Table, Key: k.PK, Outcome: verify.Ambiguous,
			SpannerTable: c.Exp.SpannerTable, SpannerKeys: c.SpannerKeys, TargetRows: c.TargetRows}.Line())
		return nil
	}
	// known: the Spanner key, to read the key's shadow row and Spanner
	// row by; repairable: a key to write a repair for (a key rebuilt
	// from the target's may be another, see spannerKey).
	sp, keys, known := c.Exp.SpannerTable, c.Exp.KeysJSON, c.HasExp
	repairable := known
	if !known && c.HasGot {
		sp, keys, known, repairable = f.exp.spannerKey(k, c.Got)
	}
	after, err := f.shadowAfter(ctx, known, k.Shard, sp, keys, f.At)
	if err != nil {
		return err
	}
	if err := f.readWatermark(ctx); err != nil {
		return err
	}
	first := verify.Outcome(c.Outcome)
	// The watermark covers the changes committed before it: one committed
	// at At, which the read at At shows, is covered only once the
	// watermark is after At (as recheckAt waits for).
	if verify.Settle(first, after, f.hasJob && !f.watermark.After(f.At)) != verify.InFlight {
		return f.report(ctx, at, k, first, c.Diffs, c.Exp, c.HasExp, sp, keys, repairable, f.At, false)
	}
	verifyRechecked.Inc(ctx, 1)
	t2, err := f.recheckAt(ctx)
	if err != nil {
		return err
	}
	var want *verify.Row
	var exp Expected
	hasExp := false
	if known {
		vals, found, err := f.reader.ReadRowJSON(ctx, f.Spanner.Tables[sp], keys, t2)
		if err != nil {
			return err
		}
		if found {
			k2, e, kind, _ := f.exp.expect(ctx, sp, keys, vals)
			if kind == "" && k2.String() == c.Key {
				if e.Filtered {
					f.counts.add(at, verify.Count{Table: k.Table, Shard: k.Shard, Kind: verify.Filtered}, 1)
					return nil
				}
				exp, hasExp = e, true
				r := e.Row()
				want = &r
			}
		}
	}
	got, err := f.readTarget(ctx, k)
	if err != nil {
		return err
	}
	o, diffs := verify.Compare(want, got)
	if o == verify.Equal {
		f.counts.add(at, verify.Count{Table: k.Table, Shard: k.Shard, Kind: string(verify.InFlight)}, 1)
		return nil
	}
	if after, err := f.shadowAfter(ctx, known, k.Shard, sp, keys, t2); err != nil || after {
		if err == nil {
			f.counts.add(at, verify.Count{Table: k.Table, Shard: k.Shard, Kind: string(verify.InFlight)}, 1)
		}
		return err
	}
	return f.report(ctx, at, k, o, diffs, exp, hasExp, sp, keys, repairable || hasExp, t2, true)
}

// shadowAfter reports whether the shadow row of the key, as shard holds
// it, has a change committed after t: the in-flight rule's one test,
// whichever database holds the row (shadowVersion).
func (f *settleFn) shadowAfter(ctx context.Context, known bool, shard, sp, keys string, t time.Time) (bool, error) {
	if !known {
		return false, nil
	}
	v, ok, err := f.shadowVersion(ctx, shard, sp, keys)
	if err != nil {
		return false, err
	}
	return ok && v.CommitTs.Time().After(t), nil
}

// shadowVersion reads the version of the key's shadow row, where the
// regular job keeps it: in the metadata database, or (ShadowInSource) in
// the shadow table of shard, the shard whose copy of the key is being
// compared (each shard's rows order the changes applied to its own copy;
// a stray copy in another shard has none), under the key's identity as the
// writer computes it (shadow.SourceKey). ok is false for a key never
// applied.
func (f *settleFn) shadowVersion(ctx context.Context, shard, sp, keys string) (v newer.Version, ok bool, err error) {
	st := f.Spanner.Tables[sp]
	key, err := shadow.Key(st, keys)
	if err != nil {
		return newer.Version{}, false, err
	}
	cols := make([]string, len(st.PrimaryKey))
	for i, p := range st.PrimaryKey {
		cols[i] = p.Column
	}
	name := shadow.TableName(f.ShadowPrefix, sp)
	if !f.ShadowInSource {
		return shadow.Table{Name: name, KeyColumns: cols}.ReadVersion(ctx, f.meta, key)
	}
	db, found := f.pools.dbs[shard]
	if !found {
		return newer.Version{}, false, fmt.Errorf("shard %q is not in the shard file", shard)
	}
	sk, err := shadow.SourceKey(key)
	if err != nil {
		return newer.Version{}, false, fmt.Errorf("table %s: %w", sp, err)
	}
	vs, err := f.pools.t.Scanner().ShadowVersions(ctx, db, target.ShadowTable{Name: name, KeyColumns: cols}, []target.ShadowKey{sk})
	if err != nil {
		return newer.Version{}, false, fmt.Errorf("shard %s: %w", shard, err)
	}
	v, ok = vs[string(sk.ID)]
	return v, ok, nil
}

// readWatermark reads the regular job's applied watermark once.
func (f *settleFn) readWatermark(ctx context.Context) error {
	if f.read || f.WatermarkTable == "" {
		f.read = true
		return nil
	}
	job, ok, err := meta.Table{Client: f.wm, Name: f.WatermarkTable}.Job(ctx)
	switch {
	case spanner.ErrCode(errors.Unwrap(err)) == codes.NotFound || spanner.ErrCode(err) == codes.NotFound:
		// No partition metadata table: no regular job has run.
		f.read, f.hasJob = true, false
		return nil
	case err != nil:
		return err
	}
	f.read, f.hasJob, f.watermark = true, ok, job.Applied
	if ok && job.End != meta.Unbounded && !job.Applied.Before(time.Unix(0, job.End)) {
		// A bounded job that applied everything up to its end: nothing
		// is in flight, and its watermark will not move again.
		f.hasJob = false
	}
	return nil
}

// recheckAt waits (up to RecheckWait) for the applied watermark to pass
// At and returns the timestamp to read again at: a time the watermark has
// passed, so every change committed before it is applied; or now, when
// the regular job is not moving (what still differs then is reported).
// It waits at most once per DoFn instance: after one wait expired, the
// job is taken as not moving and later keys recheck at once.
func (f *settleFn) recheckAt(ctx context.Context) (time.Time, error) {
	if !f.hasJob || f.stalled {
		return time.Now().UTC(), nil
	}
	deadline := time.Now().Add(f.RecheckWait)
	for !f.watermark.After(f.At) {
		if time.Now().After(deadline) {
			logs.Warn(ctx, "verify: the applied watermark did not pass the read timestamp; rechecking at the current time",
				"watermark", f.watermark, "read_timestamp", f.At, "waited", f.RecheckWait)
			f.stalled = true
			return time.Now().UTC(), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(time.Second):
		}
		f.read = false
		if err := f.readWatermark(ctx); err != nil {
			return time.Time{}, err
		}
	}
	// A read at a time just below the watermark sees only applied changes.
	return f.watermark.Add(-time.Microsecond), nil
}

// readTarget reads the row of k from its shard, nil when there is none.
func (f *settleFn) readTarget(ctx context.Context, k verify.Key) (*verify.Row, error) {
	db, ok := f.pools.dbs[k.Shard]
	if !ok {
		return nil, fmt.Errorf("shard %q is not in the shard file", k.Shard)
	}
	t, _ := f.exp.sourceTable(k.Table)
	var got *verify.Row
	err := f.pools.t.Scanner().ReadKey(ctx, db, t, k.PK, func(r verify.Row) error {
		got = &r
		return nil
	})
	return got, err
}

// report records a mismatch: a line, a counter and, with Repair, the
// record that makes the regular job write the Spanner row read at `read`
// (or delete the target's).
func (f *settleFn) report(ctx context.Context, at beam.EventTime, k verify.Key, o verify.Outcome, diffs []verify.Diff,
	exp Expected, hasExp bool, sp, keys string, repairable bool, read time.Time, rechecked bool) error {
	f.counts.add(at, verify.Count{Table: k.Table, Shard: k.Shard, Kind: string(o)}, 1)
	f.lines = append(f.lines, verify.Mismatch{Shard: k.Shard, Table: k.Table, Key: k.PK, Outcome: o, Columns: diffs,
		SpannerTable: sp, Rechecked: rechecked}.Line())
	if !f.Repair {
		return nil
	}
	if !repairable {
		logs.Warn(ctx, "verify: no repair for a row whose Spanner key cannot be rebuilt exactly from the target's key", "table", k.Table, "shard", k.Shard)
		return nil
	}
	r := record.Record{
		CommitTimestamp: record.FromTime(read), RecordSequence: strconv.FormatInt(math.MaxInt64, 10),
		TableName: sp, Shard: k.Shard, TransactionTag: verify.RepairTag, NumberOfRecordsInTransaction: 1,
		ServerTransactionID: "verify-" + read.Format(time.RFC3339Nano),
	}
	switch {
	case hasExp:
		r.ModType = record.ModUpdate
		r.Mod = record.ModJSON{KeysJSON: exp.KeysJSON, NewValuesJSON: exp.ValuesJSON}
	default:
		// The key has no row for this shard in Spanner. The row may live
		// in another shard (a stray copy): deleting it there is outside
		// the key's shadow ordering.
		r.ModType = record.ModDelete
		r.Mod = record.ModJSON{KeysJSON: keys, NewValuesJSON: keys}
		vals, found, err := f.reader.ReadRowJSON(ctx, f.Spanner.Tables[sp], keys, read)
		if err != nil {
			return err
		}
		if found {
			// Spanner has the row: a stray copy only if the writer would
			// put it elsewhere. A row it cannot map (its change is in
			// severe/) belongs here as far as anyone knows, and one it
			// would write here is no extra (read again later than the
			// comparison): neither is deleted.
			k2, e, kind, _ := f.exp.expect(ctx, sp, keys, vals)
			switch {
			case kind == verify.Unmappable:
				logs.Warn(ctx, "verify: no repair for a row whose Spanner row the writer cannot map (see severe/)", "table", k.Table, "shard", k.Shard)
				return nil
			case kind == "" && k2.String() == k.String():
				if e.Filtered {
					return nil
				}
				r.ModType = record.ModUpdate
				r.Mod = record.ModJSON{KeysJSON: e.KeysJSON, NewValuesJSON: e.ValuesJSON}
			default:
				r.Mod.NewValuesJSON = vals
				r.TransactionTag = verify.StrayTag
			}
		}
	}
	line, err := dlq.Encode(r, "verify: "+string(o))
	if err != nil {
		return err
	}
	f.fixes = append(f.fixes, line)
	return nil
}

func (f *settleFn) FinishBundle(ctx context.Context, counts func(beam.EventTime, string, int64)) error {
	if err := f.write(ctx); err != nil {
		return err
	}
	f.counts.flush(counts)
	return nil
}

// write writes the mismatch lines and repairs held, each in a new file.
func (f *settleFn) write(ctx context.Context) error {
	w := dlq.Writer{Root: f.DLQRoot}
	if len(f.lines) > 0 {
		var id [8]byte
		if _, err := rand.Read(id[:]); err != nil {
			return err
		}
		if _, err := (dlq.Writer{Root: f.Out}).WriteNamed(ctx, "", "mismatches-"+hex.EncodeToString(id[:])+".jsonl", f.lines); err != nil {
			return fmt.Errorf("writing mismatches under %s: %w", f.Out, err)
		}
		f.lines = nil
	}
	if len(f.fixes) > 0 {
		if _, err := w.Write(ctx, dlq.RetryDir, f.fixes); err != nil {
			return fmt.Errorf("writing repairs to %s: %w", f.DLQRoot, err)
		}
		verifyRepairs.Inc(ctx, int64(len(f.fixes)))
		f.fixes = nil
	}
	return nil
}
