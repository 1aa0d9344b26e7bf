// Command template is the flex-template entry point of the reverse
// replication pipeline: Spanner change stream -> MySQL. The Dataflow
// launcher runs it with every template parameter as --name=value; locally it
// runs on the prism runner (the default runner).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/logs"
	"github.com/revrepl/spanner-to-sourcedb/template/params"
)

func main() {
	values := params.Register(flag.CommandLine)
	flag.Parse()
	beam.Init()
	ctx := context.Background()

	cfg, err := params.Parse(values(), time.Now().UTC())
	if err != nil {
		fmt.Fprintf(os.Stderr, "invalid parameters:\n%v\n", err)
		os.Exit(2)
	}
	plan, err := pipeline.Check(ctx, cfg, env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the replication: %v\n", err)
		os.Exit(1)
	}
	if plan.Resumed {
		logs.Info(ctx, "resuming change stream", "stream", cfg.ChangeStreamName, "metadata_table", plan.Read.MetadataTable)
	}
	if len(plan.ShadowTablesCreated) > 0 {
		logs.Info(ctx, "shadow tables created", "count", len(plan.ShadowTablesCreated), "tables", plan.ShadowTablesCreated)
	}
	logs.Info(ctx, "dead-letter queue", "dir", plan.Write.DLQDir)
	if plan.Workers.Assumed != "" {
		logs.Warn(ctx, "worker count assumed", "detail", plan.Workers.Assumed)
	}
	logs.Info(ctx, "shard connection pools", "max_connections_per_worker_per_shard", plan.Write.PoolSize,
		"workers", plan.Workers.N, params.MaxShardConnections, cfg.MaxShardConnections)

	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	// Taking the partition metadata table stops any job still running on
	// it, so it comes last, after every check; a dry run submits nothing
	// and takes nothing.
	if !dryRun() {
		if err := plan.Take(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "cannot start the replication: %v\n", err)
			os.Exit(1)
		}
	}
	result, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		logs.Error(ctx, "pipeline failed", "error", err)
		os.Exit(1)
	}
	// A superseded job stops without failing (a failure would be retried
	// forever on Dataflow); a run that ends here, as a local one does,
	// still must not look like a success.
	if n := pipeline.Superseded(result); n > 0 {
		msg := fmt.Sprintf("this job was superseded by a later launch on partition metadata table %s and stopped replicating (%s = %d); see the ERROR above",
			plan.Read.MetadataTable, pipeline.SupersededCounter, n)
		logs.Error(ctx, "pipeline superseded", "error", msg)
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
}

// dryRun reports --dry_run (the Dataflow runner's: print the job, submit
// nothing).
func dryRun() bool {
	f := flag.Lookup("dry_run")
	return f != nil && f.Value.String() == "true"
}

// env collects the Beam options the template needs.
func env() pipeline.Env {
	e := pipeline.Env{}
	if f := flag.Lookup("temp_location"); f != nil {
		e.TempLocation = f.Value.String()
	}
	if f := flag.Lookup("runner"); f != nil {
		e.Runner = f.Value.String()
	}
	if f := flag.Lookup("autoscaling_algorithm"); f != nil {
		e.AutoscalingAlgorithm = f.Value.String()
	}
	e.MaxWorkers = intFlag("max_num_workers")
	e.NumWorkers = intFlag("num_workers")
	return e
}

// intFlag is the value of an integer Beam option, 0 when absent.
func intFlag(name string) int64 {
	f := flag.Lookup(name)
	if f == nil {
		return 0
	}
	n, _ := strconv.ParseInt(f.Value.String(), 10, 64)
	return n
}
