package transforms

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

func init() {
	register.DoFn4x1[context.Context, record.Record, func(record.Record), func(beam.EventTime, string, FileCount), error](&completeFn{})
}

// CompleteConfig configures the completion stage.
type CompleteConfig struct {
	// Target is the kind of target database (sourceType), whose value
	// conversion the mapping checks with.
	Target string
	// Database is the change stream's database, read for what change
	// records lack; Priority is the reads' priority.
	Database string
	Priority int32
	Spanner  schema.Spanner
	Source   schema.Source
	Names    mapping.Names
	// Routing: records are routed by their values (several shards), so a
	// keys-only DELETE of a table at the source needs its row.
	Routing bool
	Tables  routing.StaticTables
	// Transform: a custom transformation is set; it is handed every
	// deleted row, as in the Java template.
	Transform bool
	DLQ       DeadLetterConfig
}

// RowReader reads rows of the change stream's database as they were at a
// past time (io/spannerread.Reader, or a fake).
type RowReader interface {
	// RowBefore returns the non-key columns of a row just before a
	// delete committed at commit, as a change-record JSON object.
	RowBefore(ctx context.Context, t schema.SpannerTable, keysJSON string, commit time.Time) (string, error)
	// Columns returns cols of a row as it was at time at.
	Columns(ctx context.Context, t schema.SpannerTable, keysJSON string, at time.Time, cols []string) (map[string]json.RawMessage, error)
}

// completeFn reads, once, what a change record lacks: the row of a
// keys-only DELETE (for routing, the mapping or the transformation), or
// generated columns the mapping needs. Records it cannot complete are
// written to the DLQ by FinishBundle, and those from a DLQ file are then
// reported done to DeleteConsumed.
type completeFn struct {
	CompleteConfig

	mapper mapping.Mapper
	client *spanner.Client
	rows   RowReader
	dead   deadLetters
	failed []apply.Failure
}

func (f *completeFn) Setup(ctx context.Context) error {
	t, err := Target(f.Target)
	if err != nil {
		return err
	}
	f.mapper = mapping.Mapper{Spanner: f.Spanner, Source: f.Source, Names: f.Names, Values: t.Values()}
	if f.rows == nil && (f.Routing || f.Transform || f.mapper.ReadsSpanner()) {
		c, err := spanner.NewClient(ctx, f.Database)
		if err != nil {
			return fmt.Errorf("connecting to %s to read rows that change records lack: %w", f.Database, err)
		}
		f.client = c
		f.rows = spannerread.Reader{Client: c, Priority: spannerpb.RequestOptions_Priority(f.Priority)}
	}
	f.dead = newDeadLetters(f.DLQ)
	return nil
}

func (f *completeFn) Teardown() {
	if f.client != nil {
		f.client.Close()
	}
}

func (f *completeFn) ProcessElement(ctx context.Context, r record.Record, emit func(record.Record), _ func(beam.EventTime, string, FileCount)) error {
	if err := f.complete(ctx, &r); err != nil {
		f.failed = append(f.failed, apply.Failure{Record: r, Err: err})
		return nil
	}
	emit(r)
	return nil
}

// FinishBundle takes the record emitter only because Beam requires bundle
// methods to declare the outputs of ProcessElement.
func (f *completeFn) FinishBundle(ctx context.Context, _ func(record.Record), done func(beam.EventTime, string, FileCount)) error {
	failed := f.failed
	f.failed = nil
	return f.dead.fileAndReport(ctx, failed, done)
}

// complete adds to r what its change record lacks. The mapping says what
// it needs (mapping.NeedsRead; with a custom transformation, every deleted
// row); routing by values needs the row of a keys-only DELETE of a table at
// the source. Values already in the record are not read again, so a record
// completed once (and retried from the DLQ) needs no second read.
func (f *completeFn) complete(ctx context.Context, r *record.Record) error {
	v, err := r.Mod.Decode()
	if err != nil {
		// Mapping the record fails on it the same way; the writer files it.
		return nil
	}
	need, ok := f.mapper.NeedsRead(*r, v, f.Transform)
	if !ok && f.Routing && r.ModType == record.ModDelete && f.Tables.AtSource(r.TableName) && len(v.New) == 0 {
		if _, known := f.Spanner.Tables[r.TableName]; !known {
			return fmt.Errorf("table %q is not in the Spanner schema read at launch", r.TableName)
		}
		need, ok = mapping.Read{BeforeCommit: true}, true
	}
	if !ok {
		return nil
	}
	t := f.Spanner.Tables[r.TableName]
	if f.rows == nil {
		return fmt.Errorf("table %q: mapping needs columns %v read from Spanner, but the completion stage has no reader", r.TableName, need.Columns)
	}
	if need.BeforeCommit {
		vals, err := f.rows.RowBefore(ctx, t, r.Mod.KeysJSON, r.CommitTimestamp.Time())
		if err != nil {
			return fmt.Errorf("reading the deleted row back from Spanner: %w", err)
		}
		r.Mod.NewValuesJSON = vals
		return nil
	}
	read, err := f.rows.Columns(ctx, t, r.Mod.KeysJSON, r.CommitTimestamp.Time(), need.Columns)
	if err != nil {
		return fmt.Errorf("reading generated columns %v from Spanner: %w", need.Columns, err)
	}
	vals := v.New
	for c, val := range read {
		vals[c] = val
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	r.Mod.NewValuesJSON = string(b)
	return nil
}

// Complete reads what change records lack, once, before shard assignment.
// The second result reports the DLQ records it filed, for DeleteConsumed.
func Complete(s beam.Scope, cfg CompleteConfig, col beam.PCollection) (records, done beam.PCollection) {
	return beam.ParDo2(s.Scope("CompleteRecords"), &completeFn{CompleteConfig: cfg}, col)
}
