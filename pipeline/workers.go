package pipeline

import (
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// AssumedStreamingMaxWorkers is the worker count the connection budget is
// shared by when a streaming job on Dataflow does not say its maximum
// (--max_num_workers): Dataflow's default autoscaling cap for Streaming
// Engine jobs, which every Go streaming job is.
const AssumedStreamingMaxWorkers = 100

// WorkerCount is how many workers share maxShardConnections.
type WorkerCount struct {
	// N is the number the budget is divided by, at least 1.
	N int64
	// Assumed, when set, says that N was not given by the launch and
	// why it was chosen; it is logged at launch as a warning.
	Assumed string
}

// isDataflow reports whether runner names the Dataflow runner (Beam Go
// registers it as "dataflow" and "DataflowRunner").
func isDataflow(runner string) bool {
	return strings.EqualFold(runner, "dataflow") || strings.EqualFold(runner, "DataflowRunner")
}

// isLocal reports whether the job runs in this process: prism (or Beam's
// direct runner, which is prism) started here, or any job service whose
// SDK harness is this process (--environment_type=LOOPBACK). With an
// --endpoint and another environment the job service, whatever --runner
// says, starts SDK harnesses of its own (Flink, Spark, ...).
func isLocal(env Env) bool {
	if isDataflow(env.Runner) {
		return false
	}
	if strings.EqualFold(env.EnvironmentType, "loopback") {
		return true
	}
	switch strings.ToLower(env.Runner) {
	case "", "prism", "prismrunner", "direct", "directrunner":
		return env.Endpoint == ""
	}
	return false
}

// Workers decides how many workers share each shard's connection budget.
//
//   - --max_num_workers, when given, is the answer (or --num_workers when
//     that is larger: Dataflow never runs fewer workers than it starts with).
//   - Without it, a job that runs in this process (prism started here, or
//     a loopback environment: see isLocal) counts 1.
//   - Without it, another runner (a portable job service given by
//     --endpoint, --runner=flink, spark, universal ...) runs SDK harnesses
//     this launch cannot count, each of which would open the whole budget:
//     refused, asking for --max_num_workers.
//   - On Dataflow with autoscaling off (--autoscaling_algorithm=NONE) the
//     job keeps --num_workers workers.
//   - On Dataflow with autoscaling, a streaming job is assumed to scale to
//     Dataflow's default cap, AssumedStreamingMaxWorkers, with a warning
//     naming the assumption; a batch job (runMode=retryDLQ), whose default
//     cap is far higher, is refused: the launch must say --max-workers.
//
// Counting an unknown maximum as 1 would let every worker open the whole
// budget, which is how a shard runs out of connections.
func Workers(env Env, runMode string) (WorkerCount, error) {
	if env.MaxWorkers > 0 {
		return WorkerCount{N: max(env.MaxWorkers, env.NumWorkers)}, nil
	}
	if isLocal(env) {
		return WorkerCount{N: 1}, nil
	}
	if !isDataflow(env.Runner) {
		where := "runner " + env.Runner
		if env.Endpoint != "" {
			where += " (job service " + env.Endpoint + ")"
		}
		return WorkerCount{}, fmt.Errorf("the launch did not pass --max_num_workers, which maxShardConnections is divided by to size each worker's connection pools, and %s may run many SDK harness processes, each of which would open the whole budget: launch with --max_num_workers=N, N the most SDK harness processes the runner runs at once, so that each opens at most maxShardConnections/N connections per shard",
			strings.TrimSpace(where))
	}
	if strings.EqualFold(env.AutoscalingAlgorithm, "NONE") && env.NumWorkers > 0 {
		return WorkerCount{N: env.NumWorkers}, nil
	}
	if runMode == params.RunModeRetryDLQ || runMode == params.RunModeVerify {
		return WorkerCount{}, fmt.Errorf("the Dataflow launch did not pass max_num_workers, which maxShardConnections is divided by to size each worker's connection pools, and a batch job (runMode=%s) may autoscale far beyond any safe guess: launch with --max-workers=N (gcloud) so that each worker opens at most maxShardConnections/N connections per shard",
			runMode)
	}
	n := max(int64(AssumedStreamingMaxWorkers), env.NumWorkers)
	return WorkerCount{N: n, Assumed: fmt.Sprintf(
		"the Dataflow launch did not pass max_num_workers; assuming the job autoscales to at most %d workers (Dataflow's default cap for streaming jobs), so each worker opens at most maxShardConnections/%d connections per shard. Launch with --max-workers=N to size the pools for your own cap; a cap raised later (gcloud dataflow jobs update-options) is not seen by running workers",
		n, n)}, nil
}
