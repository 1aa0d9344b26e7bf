// Package changestream reads a Spanner change stream as an unbounded (or,
// with an end timestamp, bounded) Beam source, and keeps the job's progress
// so that a relaunch resumes without losing a change.
//
// The shape follows Beam Java's connector: a partition metadata table in
// Spanner holds every partition's lineage, state and position (package
// meta); a polling splittable DoFn (detect) hands out partitions whose
// parents have all finished; a second splittable DoFn (read) queries one
// partition over a timestamp restriction, checkpointing between bounded
// queries so that runners can spread partitions over workers. TrackApplied,
// fed by the writer, turns the pipeline's watermark into an applied
// watermark in the metadata database, from which a relaunch re-reads.
package changestream

import (
	"context"
	"fmt"

	"cloud.google.com/go/spanner"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
)

// Config says which stream to read and where its state lives.
type Config struct {
	// Database holds the change stream: projects/p/instances/i/databases/d.
	Database string
	Stream   string
	// Postgres is set when Database uses the PostgreSQL dialect.
	Postgres bool
	// MetadataDatabase and MetadataTable hold the partition metadata;
	// MetadataPostgres is set when that database uses PostgreSQL.
	MetadataDatabase string
	MetadataTable    string
	MetadataPostgres bool
	// Generation is the launch's hold on the metadata table (set by
	// Launch): once a later launch takes the table, this job's writes of
	// partition state fail with *meta.SupersededError (see package meta).
	Generation int64
	// Priority is a spannerpb.RequestOptions_Priority value.
	Priority        int32
	HeartbeatMillis int64
	// QueryWindowMillis bounds each partition query: records reach the rest
	// of the pipeline when the query returns, so it bounds latency too.
	QueryWindowMillis int64
	// PollMillis is how often new partitions are looked for.
	PollMillis int64
	// EndNanos is endTimestamp in Unix nanoseconds (inclusive), or
	// meta.Unbounded.
	EndNanos int64
	// AppliedMillis is the applied watermark at launch (Unix milliseconds).
	AppliedMillis int64
	// ProgressMillis is how much event time passes between two writes of
	// the applied watermark.
	ProgressMillis int64
	// DataEndpoint, when set, sends the change-stream queries to this
	// address without authentication or TLS (a fake server in tests).
	DataEndpoint string
}

// clientFn holds the Spanner clients a DoFn needs; set up once per worker.
type clientFn struct {
	Config
	data *spanner.Client
	meta meta.Table
}

func (f *clientFn) setup(ctx context.Context, needData bool) error {
	mc, err := spanner.NewClient(ctx, f.MetadataDatabase)
	if err != nil {
		return fmt.Errorf("connecting to metadata database %s: %w", f.MetadataDatabase, err)
	}
	f.meta = meta.Table{Client: mc, Name: f.MetadataTable, Postgres: f.MetadataPostgres, Generation: f.Generation}
	if needData {
		if f.data, err = NewDataClient(ctx, f.Database, f.DataEndpoint); err != nil {
			return err
		}
	}
	return nil
}

func (f *clientFn) teardown() {
	if f.meta.Client != nil {
		f.meta.Client.Close()
	}
	if f.data != nil {
		f.data.Close()
	}
}

// NewDataClient connects to the database whose change stream is read,
// decoding results with streamquery.Codec; a non-empty endpoint replaces
// Spanner's (see Config.DataEndpoint).
func NewDataClient(ctx context.Context, db, endpoint string) (*spanner.Client, error) {
	opts := streamquery.ClientOptions()
	if endpoint != "" {
		opts = append(opts, option.WithEndpoint(endpoint), option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	c, err := spanner.NewClientWithConfig(ctx, db, spanner.ClientConfig{}, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to database %s: %w", db, err)
	}
	return c, nil
}
