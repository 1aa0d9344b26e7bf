package transforms

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

func init() {
	register.Function2x2[string, int64, int, verifyCount](countByOne)
	register.Function1x2[[]byte, int, verifyCount](summarySeed)
	register.DoFn3x1[context.Context, int, func(*verifyCount) bool, error](&summaryFn{})
	register.Iter1[verifyCount]()
}

// Counter names of runMode=verify (namespace "verify"): MismatchesCounter
// is the total the run's last line reports.
const (
	VerifyNamespace   = "verify"
	MismatchesCounter = "mismatches"
	// SummaryFile is the summary's name in the run's directory.
	SummaryFile = "summary.jsonl"
)

var verifyMismatches = beam.NewCounter(VerifyNamespace, MismatchesCounter)

// Verify adds the verification graph to s:
//
//	Spanner partitions at At -> rows mapped as the writer would --+
//	                                                              +-> CoGroupByKey (shard, table, key) -> compare
//	target key ranges per shard and table -> rows ----------------+
//	compare -> settle (in-flight keys read again) -> mismatches files, repairs in retry/
//	counts -> summary (one line per table and shard, mismatches total)
//
// Neither side is held in one worker's memory: both are read in
// partitions and joined by key.
func Verify(s beam.Scope, cfg VerifyConfig) {
	s = s.Scope("Verify")
	imp := beam.Impulse(s)
	planned, skipped := beam.ParDo2(s.Scope("PlanSpannerReads"), &planSpannerFn{VerifyConfig: cfg}, imp)
	parts := beam.Reshuffle(s, planned)
	expected, readCounts := beam.ParDo2(s.Scope("ReadSpanner"), &readSpannerFn{VerifyConfig: cfg}, parts)
	ranges := beam.Reshuffle(s, beam.ParDo(s.Scope("PlanTargetReads"), &planTargetFn{VerifyConfig: cfg}, imp))
	actual := beam.ParDo(s.Scope("ReadTarget"), &readTargetFn{VerifyConfig: cfg}, ranges)
	joined := beam.CoGroupByKey(s, expected, actual)
	candidates, compareCounts := beam.ParDo2(s.Scope("Compare"), &compareFn{}, joined)
	settleCounts := beam.ParDo(s.Scope("Settle"), &settleFn{VerifyConfig: cfg}, beam.Reshuffle(s, candidates))
	totals := stats.SumPerKey(s, beam.Flatten(s, skipped, readCounts, compareCounts, settleCounts))
	one := beam.ParDo(s, countByOne, totals)
	// The seed makes a summary (mismatches: 0) of a run with no rows.
	seed := beam.ParDo(s, summarySeed, imp)
	beam.ParDo0(s.Scope("Summary"), &summaryFn{Out: cfg.Out}, beam.GroupByKey(s, beam.Flatten(s, one, seed)))
}

// verifyCount is one summary counter's total.
type verifyCount struct {
	Key string
	N   int64
}

// countByOne puts every total under one key: the summary is one line per
// table and shard, small enough for one worker.
func countByOne(k string, n int64) (int, verifyCount) { return 0, verifyCount{Key: k, N: n} }

func summarySeed(_ []byte) (int, verifyCount) { return 0, verifyCount{} }

// summaryFn writes the summary file and the counters.
type summaryFn struct {
	Out string
}

func (f *summaryFn) ProcessElement(ctx context.Context, _ int, totals func(*verifyCount) bool) error {
	counts := map[verify.Count]int64{}
	var c verifyCount
	for totals(&c) {
		if c.Key == "" {
			continue
		}
		k, err := verify.ParseCount(c.Key)
		if err != nil {
			return err
		}
		counts[k] += c.N
		beam.NewCounter(VerifyNamespace, "rows_"+k.Kind).Inc(ctx, c.N)
	}
	lines, n := verify.Summarize(counts)
	out := make([][]byte, 0, len(lines)+1)
	for _, l := range lines {
		out = append(out, l.Line())
	}
	out = append(out, []byte(verify.FinalLine(n)))
	if _, err := (dlq.Writer{Root: f.Out}).WriteNamed(ctx, "", SummaryFile, out); err != nil {
		return fmt.Errorf("writing the summary under %s: %w", f.Out, err)
	}
	verifyMismatches.Inc(ctx, n)
	return nil
}
