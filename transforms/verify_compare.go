package transforms

import (
	"context"
	"reflect"
	"sort"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

func init() {
	register.DoFn7x1[context.Context, beam.EventTime, string, func(*Expected) bool, func(*verify.Row) bool, func(Candidate), func(beam.EventTime, string, int64), error](&compareFn{})
	register.Iter1[Expected]()
	register.Iter1[verify.Row]()
	register.Emitter1[Candidate]()
	beam.RegisterType(reflect.TypeOf((*Candidate)(nil)).Elem())
}

// Candidate is a key whose two sides differ at the read timestamp, on its
// way to Settle, which tells a change in flight from a mismatch.
type Candidate struct {
	Key     string
	Outcome string
	Diffs   []verify.Diff
	Exp     Expected
	HasExp  bool
	Got     verify.Row
	HasGot  bool
	// SpannerKeys and TargetRows describe an Ambiguous key: the Spanner
	// table and key JSON of every Expected of the group (space
	// separated), and how many target rows it held.
	SpannerKeys []string
	TargetRows  int
}

// compareFn joins one key's sides (CoGroupByKey). Each side is keyed by
// the target's primary key, so a group normally holds at most one row of
// each; more than one (two Spanner rows mapped to one target key, e.g.
// "a" and "a " on a CHAR key) is verify.Ambiguous: the target can hold
// only one of them, so such a key is never equal.
type compareFn struct {
	counts tally
}

func (f *compareFn) ProcessElement(ctx context.Context, at beam.EventTime, key string, exps func(*Expected) bool, gots func(*verify.Row) bool,
	emit func(Candidate), counts func(beam.EventTime, string, int64)) error {
	k, err := verify.ParseKey(key)
	if err != nil {
		return err
	}
	c := Candidate{Key: key}
	var e Expected
	var nExp int
	var spKeys []string
	for exps(&e) {
		c.Exp, c.HasExp = e, true
		nExp++
		spKeys = append(spKeys, e.SpannerTable+" "+e.KeysJSON)
	}
	// A row read twice (two key ranges that share a bound both return it)
	// is one row: only different rows under one key are ambiguous.
	var g verify.Row
	for gots(&g) {
		if c.HasGot && reflect.DeepEqual(c.Got, g) {
			continue
		}
		c.Got, c.HasGot = g, true
		c.TargetRows++
	}
	if nExp > 1 || c.TargetRows > 1 {
		sort.Strings(spKeys)
		c.Outcome, c.SpannerKeys = string(verify.Ambiguous), spKeys
		emit(c)
		return nil
	}
	if c.HasExp && c.Exp.Filtered {
		f.counts.add(at, verify.Count{Table: k.Table, Shard: k.Shard, Kind: verify.Filtered}, 1)
		return nil
	}
	var want, got *verify.Row
	if c.HasExp {
		r := c.Exp.Row()
		want = &r
	}
	if c.HasGot {
		got = &c.Got
	}
	o, diffs := verify.Compare(want, got)
	if o == verify.Equal {
		f.counts.add(at, verify.Count{Table: k.Table, Shard: k.Shard, Kind: string(verify.Equal)}, 1)
		return nil
	}
	c.Outcome, c.Diffs = string(o), diffs
	emit(c)
	return nil
}

func (f *compareFn) FinishBundle(_ context.Context, _ func(Candidate), counts func(beam.EventTime, string, int64)) error {
	f.counts.flush(counts)
	return nil
}
