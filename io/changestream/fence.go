package changestream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
)

// SupersededCounter is the namespace and name of the counter of the
// superseded stops below: a run that counts any was superseded and must
// not end as a success (template/main.go).
const (
	SupersededNamespace = "changestream"
	SupersededCounter   = "superseded_errors"
)

// reported remembers the supersessions already logged at ERROR in this
// process, by table and generation: every reader of the job notices, and
// one clear line says it all.
var reported sync.Map

// superseded reports whether err says that a later launch took the table
// (see package meta). If so, this part of the job must stop for good: it
// counts the stop and logs, once per process, that the job stopped and
// must be cancelled. The caller ends its restriction without an error: a
// runner retries a failing bundle (Dataflow forever), which would keep the
// superseded job running and retrying instead of stopping it.
func superseded(ctx context.Context, err error) bool {
	var s *meta.SupersededError
	if !errors.As(err, &s) {
		return false
	}
	supersededErrors.Inc(ctx, 1)
	key := fmt.Sprintf("%s/%d", s.Table, s.Generation)
	if _, seen := reported.LoadOrStore(key, true); !seen {
		logs.Error(ctx, SupersededMessage(s), "metadata_table", s.Table, "generation", s.Generation, "error", err)
	} else {
		logs.Debug(ctx, "superseded job part stopped", "metadata_table", s.Table, "generation", s.Generation)
	}
	return true
}

// SupersededMessage is the line that tells an operator what happened.
func SupersededMessage(s *meta.SupersededError) string {
	at := "at an unknown time"
	if !s.LaunchedAt.IsZero() {
		at = "at " + s.LaunchedAt.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("job superseded by generation %d, launched %s; this job has stopped replicating; cancel it", s.Current, at)
}

// stopRestriction ends a restriction for good: claiming its end leaves the
// runner nothing to resume.
func stopRestriction(rt *sdf.LockRTracker) sdf.ProcessContinuation {
	rt.TryClaim(rt.GetRestriction().(offsetrange.Restriction).End)
	return sdf.StopProcessing()
}

// Fence lets a part of the job that polls without writing partition state
// (the DLQ retry poller) stop with the rest of the job once a later launch
// has taken the metadata table. A zero Generation fences nothing: the
// pipeline was built without a launch (the DLQ-only run modes).
type Fence struct {
	MetadataDatabase string
	MetadataTable    string
	MetadataPostgres bool
	Generation       int64

	table meta.Table
}

// Fence is the fence of the job reading cfg.
func (c Config) Fence() Fence {
	return Fence{MetadataDatabase: c.MetadataDatabase, MetadataTable: c.MetadataTable,
		MetadataPostgres: c.MetadataPostgres, Generation: c.Generation}
}

// Setup connects to the metadata database (DoFn Setup).
func (f *Fence) Setup(ctx context.Context) error {
	if f.Generation == 0 {
		return nil
	}
	c, err := spanner.NewClient(ctx, f.MetadataDatabase)
	if err != nil {
		return fmt.Errorf("connecting to metadata database %s: %w", f.MetadataDatabase, err)
	}
	f.table = meta.Table{Client: c, Name: f.MetadataTable, Postgres: f.MetadataPostgres, Generation: f.Generation}
	return nil
}

// Teardown closes what Setup opened.
func (f *Fence) Teardown() {
	if f.table.Client != nil {
		f.table.Client.Close()
		f.table.Client = nil
	}
}

// Superseded checks, now, whether a later launch has taken the table; if
// so it counts and logs it as the readers do, and the caller stops for
// good. A failed read is logged and counts as not superseded: the next
// poll checks again.
func (f *Fence) Superseded(ctx context.Context) bool {
	if f.Generation == 0 || f.table.Client == nil {
		return false
	}
	err := f.table.CheckGeneration(ctx)
	if err != nil && !meta.IsSuperseded(err) {
		logs.Warn(ctx, "job generation unreadable; checking again at the next poll", "metadata_table", f.MetadataTable, "error", err)
		return false
	}
	return superseded(ctx, err)
}
