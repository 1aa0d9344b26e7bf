package changestream

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/streamquery"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerschema"
)

// DefaultTableName is the partition metadata table of a job that names
// none: stable, so that a relaunch finds it.
func DefaultTableName(databaseID, stream string) string {
	return meta.DefaultTableName(databaseID, stream)
}

// Launch prepares the partition metadata for a job reading cfg.Stream
// from start (given by the user, or the launch time) to cfg.EndNanos:
// it creates the tables if needed, stores the job or checks a relaunch
// against the stored one, reopens what a relaunch must read again, and
// checks that the stream still holds the changes from where reading
// starts. It fills in cfg.MetadataPostgres, cfg.AppliedMillis and
// cfg.Generation: the launch takes the table from any job still running on
// it, whose writes of partition state fail from then on (see package meta).
// Problems a user can fix come back as errors that say how.
func Launch(ctx context.Context, admin *database.DatabaseAdminClient, cfg *Config, start time.Time, startGiven bool) (meta.Launched, error) {
	client, err := spanner.NewClient(ctx, cfg.MetadataDatabase)
	if err != nil {
		return meta.Launched{}, fmt.Errorf("connecting to change stream metadata database %s: %w", cfg.MetadataDatabase, err)
	}
	defer client.Close()
	ro := client.ReadOnlyTransaction()
	dialect, err := spannerschema.Dialect(ctx, ro)
	ro.Close()
	if err != nil {
		return meta.Launched{}, fmt.Errorf("change stream metadata database %s: %w", cfg.MetadataDatabase, err)
	}
	cfg.MetadataPostgres = dialect == "POSTGRESQL"
	table := meta.Table{Client: client, Name: cfg.MetadataTable, Postgres: cfg.MetadataPostgres}
	if err := table.Ensure(ctx, admin, cfg.MetadataDatabase); err != nil {
		return meta.Launched{}, err
	}
	// A first launch checks its start before storing anything, so that a
	// corrected start is not refused as a conflict with the bad one.
	if _, exists, err := table.Job(ctx); err != nil {
		return meta.Launched{}, err
	} else if !exists {
		if err := checkReadable(ctx, cfg, start); err != nil {
			return meta.Launched{}, err
		}
	}
	launched, err := table.Launch(ctx, meta.Identity{Stream: cfg.Stream, Start: start.UTC(), StartGiven: startGiven, End: cfg.EndNanos}, cfg.HeartbeatMillis)
	if err != nil {
		return meta.Launched{}, err
	}
	cfg.AppliedMillis = launched.Applied.UnixMilli()
	cfg.Generation = launched.Generation
	if launched.Resumed && len(launched.Reopened) > 0 {
		from := launched.Reopened[0].From
		for _, r := range launched.Reopened {
			from = min(from, r.From)
		}
		if err := checkReadable(ctx, cfg, time.Unix(0, from)); err != nil {
			return meta.Launched{}, err
		}
	}
	return launched, nil
}

// checkReadable runs the initial query at the earliest position the job
// will read from, so that a start outside the stream's retention period
// fails the launch with an explanation instead of failing the running job.
func checkReadable(ctx context.Context, cfg *Config, from time.Time) error {
	if from.After(time.Now()) {
		return nil // a start in the near future; Spanner checks it then
	}
	data, err := NewDataClient(ctx, cfg.Database, cfg.DataEndpoint)
	if err != nil {
		return err
	}
	defer data.Close()
	q := streamquery.Query{Stream: cfg.Stream, Start: from, End: from, HeartbeatMillis: max(cfg.HeartbeatMillis, 100), Postgres: cfg.Postgres}
	if err := q.Run(ctx, data, func(decode.Item) error { return nil }); err != nil {
		return fmt.Errorf("change stream %s cannot be read from %s: %w", cfg.Stream, from.UTC().Format(time.RFC3339Nano), streamquery.Explain(err))
	}
	return nil
}

// Unbounded is the end of a job that reads until stopped.
const Unbounded = meta.Unbounded
