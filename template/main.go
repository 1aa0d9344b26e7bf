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
	plan, err := pipeline.Prepare(ctx, cfg, env())
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

	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	if err := beamx.Run(ctx, p); err != nil {
		logs.Error(ctx, "pipeline failed", "error", err)
		os.Exit(1)
	}
}

// env collects the Beam options the template needs.
func env() pipeline.Env {
	e := pipeline.Env{}
	if f := flag.Lookup("temp_location"); f != nil {
		e.TempLocation = f.Value.String()
	}
	if f := flag.Lookup("max_num_workers"); f != nil {
		e.MaxWorkers, _ = strconv.ParseInt(f.Value.String(), 10, 64)
	}
	return e
}
