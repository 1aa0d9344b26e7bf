package transforms

import (
	"context"
	"reflect"

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
}

// compareFn joins one key's sides (CoGroupByKey): at most one row each,
// since both are keyed by primary key.
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
	for exps(&e) {
		c.Exp, c.HasExp = e, true
	}
	var g verify.Row
	for gots(&g) {
		c.Got, c.HasGot = g, true
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
