// Command template is the flex-template entry point of the reverse
// replication pipeline: Spanner change stream -> MySQL. The Dataflow
// launcher runs it with every template parameter as --name=value; locally it
// runs on the prism runner (the default runner).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

func main() {
	values := params.Register(flag.CommandLine)
	parseCommandLine()
	beam.Init()
	ctx := context.Background()

	cfg, err := params.Parse(values(), time.Now().UTC())
	if err != nil {
		prog := filepath.Base(os.Args[0])
		if len(params.Errors(err)) == 1 {
			fmt.Fprintf(os.Stderr, "%s: invalid parameter %v\n", prog, err)
		} else {
			fmt.Fprintf(os.Stderr, "%s: invalid parameters (%[1]s --help describes them):\n%v\n", prog, err)
		}
		os.Exit(2)
	}
	level, err := logs.ParseLevel(cfg.LogLevel)
	if err == nil {
		// On Dataflow, workers send fields; local runners print only an
		// entry's message, so there fields stay key=value text.
		err = logs.Configure(level, onDataflow())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot set up logging (logLevel=%s): %v\n", cfg.LogLevel, err)
		os.Exit(1)
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
	logs.Info(ctx, "dead-letter queue", "dir", plan.DLQ.Root)
	if v := plan.Verify; v != nil {
		logs.Info(ctx, "verification", "read_timestamp", v.At.Format(time.RFC3339Nano), "results", v.Out, "repair", v.Repair)
	}
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
	if plan.Verify != nil {
		reportVerification(ctx, plan.Verify.Out)
		return
	}
	// A bounded run ends here with what it did; an unbounded one only
	// ends here when it failed or was superseded.
	if !cfg.EndTimestamp.IsZero() || cfg.RunMode == params.RunModeRetryDLQ {
		if s, ok := pipeline.SummaryOf(result); ok {
			fmt.Println(s.Line())
		}
	}
}

// reportVerification prints the summary of runMode=verify, ending with
// "mismatches: <n>"; a local run exits 1 when n > 0 (on Dataflow the job
// has ended once the launcher gets here only with --dry_run or a wait,
// and the summary file tells).
func reportVerification(ctx context.Context, dir string) {
	if dryRun() {
		return
	}
	r, err := pipeline.ReadVerifyResult(ctx, dir)
	if err != nil {
		if onDataflow() {
			logs.Info(ctx, "verification submitted", "results", dir)
			return
		}
		fmt.Fprintf(os.Stderr, "verification: %v\n", err)
		os.Exit(1)
	}
	logs.Info(ctx, "verification results", "dir", dir)
	for _, l := range r.Lines {
		fmt.Println(l)
	}
	if r.Mismatches > 0 && !onDataflow() {
		os.Exit(1)
	}
}

// onDataflow reports whether --runner names the Dataflow runner (by either
// of the names Beam registers it under).
func onDataflow() bool {
	f := flag.Lookup("runner")
	return f != nil && (strings.EqualFold(f.Value.String(), "dataflow") || strings.EqualFold(f.Value.String(), "DataflowRunner"))
}

// parseCommandLine parses the flags or exits: --help and --help-all print
// the help on stdout and exit 0; a flag the binary does not take or a value
// of the wrong type prints one line on stderr and exits 2.
func parseCommandLine() {
	err := params.ParseCommandLine(flag.CommandLine, os.Args[1:])
	switch {
	case err == nil:
		return
	case errors.Is(err, flag.ErrHelp), errors.Is(err, params.ErrHelpAll):
		if werr := params.WriteHelp(os.Stdout, flag.CommandLine, errors.Is(err, params.ErrHelpAll)); werr != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
	os.Exit(2)
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
	if f := flag.Lookup("endpoint"); f != nil {
		e.Endpoint = f.Value.String()
	}
	if f := flag.Lookup("environment_type"); f != nil {
		e.EnvironmentType = f.Value.String()
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
