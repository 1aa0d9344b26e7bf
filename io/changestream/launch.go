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
// from start (given by the user, or the launch time) to cfg.EndNanos and
// takes the table at once: CheckLaunch and then Pending.Take.
func Launch(ctx context.Context, admin *database.DatabaseAdminClient, cfg *Config, start time.Time, startGiven bool) (meta.Launched, error) {
	p, err := CheckLaunch(ctx, admin, cfg, start, startGiven)
	if err != nil {
		return meta.Launched{}, err
	}
	return p.Take(ctx)
}

// Pending is a checked launch that has not taken the metadata table yet.
type Pending struct {
	// Preview is what the launch found and will leave.
	Preview meta.Launched
	cfg     Config
	id      meta.Identity
}

// CheckLaunch prepares the partition metadata for a job reading cfg.Stream
// from start (given by the user, or the launch time) to cfg.EndNanos,
// without taking the table from a job still running on it: it creates the
// tables if needed, checks a relaunch against the stored job, and checks
// that the stream still holds the changes from where reading starts. It
// fills in cfg.MetadataPostgres, cfg.AppliedMillis and cfg.Generation, the
// generation that Take will take (see package meta). Problems a user can
// fix come back as errors that say how.
func CheckLaunch(ctx context.Context, admin *database.DatabaseAdminClient, cfg *Config, start time.Time, startGiven bool) (*Pending, error) {
	client, err := spanner.NewClient(ctx, cfg.MetadataDatabase)
	if err != nil {
		return nil, fmt.Errorf("connecting to change stream metadata database %s: %w", cfg.MetadataDatabase, err)
	}
	defer client.Close()
	ro := client.ReadOnlyTransaction()
	dialect, err := spannerschema.Dialect(ctx, ro)
	ro.Close()
	if err != nil {
		return nil, fmt.Errorf("change stream metadata database %s: %w", cfg.MetadataDatabase, err)
	}
	cfg.MetadataPostgres = dialect == "POSTGRESQL"
	table := meta.Table{Client: client, Name: cfg.MetadataTable, Postgres: cfg.MetadataPostgres}
	if err := table.Ensure(ctx, admin, cfg.MetadataDatabase); err != nil {
		return nil, err
	}
	id := meta.Identity{Stream: cfg.Stream, Start: start.UTC(), StartGiven: startGiven, End: cfg.EndNanos}
	// A first launch checks its start before comparing anything, so that a
	// corrected start is not refused as a conflict with the bad one.
	if _, exists, err := table.Job(ctx); err != nil {
		return nil, err
	} else if !exists {
		if err := checkReadable(ctx, cfg, start); err != nil {
			return nil, err
		}
	}
	preview, err := table.Preview(ctx, id, cfg.HeartbeatMillis)
	if err != nil {
		return nil, err
	}
	if preview.Resumed && len(preview.Reopened) > 0 {
		// Take may reopen from a later applied watermark (a job still
		// running goes on storing progress), never from an earlier one.
		from := preview.Reopened[0].From
		for _, r := range preview.Reopened {
			from = min(from, r.From)
		}
		if err := checkReadable(ctx, cfg, time.Unix(0, from)); err != nil {
			return nil, err
		}
	}
	// Storing progress from the previewed applied watermark is sound: the
	// stored one never moves back (meta.SaveApplied).
	cfg.AppliedMillis = preview.Applied.UnixMilli()
	cfg.Generation = preview.Generation
	return &Pending{Preview: preview, cfg: *cfg, id: id}, nil
}

// Take takes the metadata table as the generation CheckLaunch put in the
// job's Config, the launch's last step before the job is submitted: from
// then on every job still running on the table stops. It fails, taking
// nothing, when another launch took the table since CheckLaunch.
func (p *Pending) Take(ctx context.Context) (meta.Launched, error) {
	client, err := spanner.NewClient(ctx, p.cfg.MetadataDatabase)
	if err != nil {
		return meta.Launched{}, fmt.Errorf("connecting to change stream metadata database %s: %w", p.cfg.MetadataDatabase, err)
	}
	defer client.Close()
	table := meta.Table{Client: client, Name: p.cfg.MetadataTable, Postgres: p.cfg.MetadataPostgres}
	return table.Commit(ctx, p.id, p.cfg.HeartbeatMillis, p.Preview)
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
