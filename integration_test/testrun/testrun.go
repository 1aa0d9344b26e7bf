// Package testrun runs the template's pipeline to its end in tests, as a
// user would launch it. It is apart from testenv because the unit tests of
// the packages the pipeline is built from use testenv.
package testrun

import (
	"context"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// Pipeline launches the template with v as a user would (parse,
// launch-time checks, graph) and runs it to its end on the test runner.
func Pipeline(t testing.TB, ctx context.Context, v params.Values, env pipeline.Env) beam.PipelineResult {
	t.Helper()
	cfg, err := params.Parse(v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	return Plan(t, plan)
}

// Plan runs a prepared plan to its end on the test runner.
func Plan(t testing.TB, plan *pipeline.Prepared) beam.PipelineResult {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	return res
}

// Counter sums the committed value of a counter over the pipeline's steps.
// Not Result(): that falls back to the attempted value when the committed
// one is 0, and prism's attempted values are those of the last progress
// report of some bundle, so a counter that balances out to 0
// (retryable_record_count) would read as a partial bundle's count.
func Counter(res beam.PipelineResult, name string) int64 {
	var n int64
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Key.Name == name {
			n += c.Committed
		}
	}
	return n
}
