package transforms

import (
	"context"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// charKeyExpecter maps Spanner Codes (Code STRING(5) key) to a MySQL
// table whose key is CHAR(5), one shard.
func charKeyExpecter() *expecter {
	sp := schema.Spanner{Tables: map[string]schema.SpannerTable{"Codes": {Name: "Codes", PrimaryKey: []schema.KeyPart{{Column: "Code"}},
		Columns: []schema.SpannerColumn{{Name: "Code", Type: "STRING(5)"}, {Name: "Name", Type: "STRING(20)"}}}}}
	src := schema.Source{Tables: map[string]schema.SourceTable{"codes": {Name: "codes", PrimaryKey: []string{"Code"}, Columns: []schema.SourceColumn{
		{Name: "Code", DataType: "char", ColumnType: "char(5)", MaxLength: 5}, {Name: "Name", DataType: "varchar", ColumnType: "varchar(20)", MaxLength: 20}}}}}
	names := mapping.Names{Tables: map[string]mapping.TableNames{"Codes": {Source: "codes"}}}
	cfg := VerifyConfig{Spanner: sp, Source: src, Names: names, At: time.Unix(100, 0), Single: "s1"}
	return &expecter{cfg: cfg, scanner: mysql.Target{}.Scanner(), spannerOf: map[string][]string{"codes": {"Codes"}},
		mapper: &mapping.Mapper{Spanner: sp, Source: src, Names: names, TZ: time.UTC, Values: mysql.Target{}.Values()}}
}

// TestTwoSpannerRowsOnOneTargetKeyAreNotEqual (review rev17): Spanner keys
// "a" and "a " are two rows; a CHAR(5) key holds only one of them (MySQL
// strips the trailing space, the second write overwrites the first). Both
// rows map to the join key "a", and compareFn keeps the last Expected of
// the group and drops the other without a word: when the target row
// equals the one kept, the key counts "equal" and the run ends with
// "mismatches: 0" although a Spanner row has no row in the target. The
// same happens whenever two Spanner rows map to one target key (a FLOAT64
// key equal to 15 digits, two Spanner tables written to one source
// table, a custom transformation that maps keys together). A group with
// more than one Expected (or target row) must be a mismatch.
func TestTwoSpannerRowsOnOneTargetKeyAreNotEqual(t *testing.T) {
	ctx := context.Background()
	e := charKeyExpecter()
	k1, e1, kind1, err1 := e.expect(ctx, "Codes", `{"Code":"a"}`, `{"Name":"first"}`)
	k2, e2, kind2, err2 := e.expect(ctx, "Codes", `{"Code":"a "}`, `{"Name":"second"}`)
	if kind1 != "" || kind2 != "" {
		t.Fatalf("expect: %q %v, %q %v", kind1, err1, kind2, err2)
	}
	if k1.String() != k2.String() {
		t.Fatalf("the two Spanner keys no longer share a join key (%s, %s): rewrite this test for another collapse", k1, k2)
	}
	// The target holds one row: the second write, which overwrote the
	// first in the CHAR key.
	got := verify.Row{Columns: []string{"Code", "Name"}, Values: []verify.Value{verify.Text("a"), verify.Text("second")}}
	for _, order := range [][]Expected{{e1, e2}, {e2, e1}} {
		i := 0
		exps := func(x *Expected) bool {
			if i == len(order) {
				return false
			}
			*x, i = order[i], i+1
			return true
		}
		gave := false
		gots := func(r *verify.Row) bool {
			if gave {
				return false
			}
			*r, gave = got, true
			return true
		}
		var cands []Candidate
		f := &compareFn{}
		if err := f.ProcessElement(ctx, beam.EventTime(0), k1.String(), exps, gots, func(c Candidate) { cands = append(cands, c) }, nil); err != nil {
			t.Fatal(err)
		}
		if len(cands) == 0 {
			t.Errorf("Spanner rows %q and %q share one target row %v, and compare finds no difference (counts %v): a false \"mismatches: 0\"",
				e1.KeysJSON, e2.KeysJSON, got.Values, f.counts.n)
		}
	}
}

// TestRecheckWaitsOnceWhenTheRegularJobIsNotMoving (review rev17): when the
// regular job's applied watermark stays before the read timestamp (the
// job was stopped, as the fallback routine suggests), recheckAt waits
// RecheckWait (5 minutes by default) and rechecks at the current time.
// But the next differing key on the same worker waits the full
// RecheckWait again, and so does every later one: a run with N
// differing keys on a worker takes N x 5 minutes (1 000 damaged rows:
// over 3 days on one worker). Once a worker has found the job not
// moving, it should not wait again.
//
// The first wait is made short; the bound is then raised and the context
// canceled, so a second wait shows as the context's error at once.
func TestRecheckWaitsOnceWhenTheRegularJobIsNotMoving(t *testing.T) {
	at := time.Now().Add(-time.Minute)
	f := &settleFn{VerifyConfig: VerifyConfig{At: at, RecheckWait: time.Nanosecond}, hasJob: true, watermark: at.Add(-time.Hour), read: true}
	if _, err := f.recheckAt(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.RecheckWait = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.recheckAt(ctx); err != nil {
		t.Errorf("the second differing key waits for the watermark again after the first found the regular job not moving: %v", err)
	}
}
