package meta

import (
	"context"
	"fmt"
	"regexp"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
)

// jobSuffix names the job table after the partition table.
const jobSuffix = "_job"

var validName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// The partition table has Beam Java's columns. Beam also adds a row
// deletion policy on FinishedAt; this table does not, because a finished
// partition may have to be read again at a relaunch (see Rewind): finished
// rows are deleted only once the applied watermark has passed them (see
// SaveApplied).
const partitionDDL = "CREATE TABLE `%s` (\n" +
	"  PartitionToken STRING(MAX) NOT NULL,\n" +
	"  ParentTokens ARRAY<STRING(MAX)> NOT NULL,\n" +
	"  StartTimestamp TIMESTAMP NOT NULL,\n" +
	"  EndTimestamp TIMESTAMP NOT NULL,\n" +
	"  HeartbeatMillis INT64 NOT NULL,\n" +
	"  State STRING(MAX) NOT NULL,\n" +
	"  Watermark TIMESTAMP NOT NULL,\n" +
	"  CreatedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp=true),\n" +
	"  ScheduledAt TIMESTAMP OPTIONS (allow_commit_timestamp=true),\n" +
	"  RunningAt TIMESTAMP OPTIONS (allow_commit_timestamp=true),\n" +
	"  FinishedAt TIMESTAMP OPTIONS (allow_commit_timestamp=true),\n" +
	") PRIMARY KEY (PartitionToken)"

const partitionDDLPostgres = `CREATE TABLE "%s" (
  "PartitionToken" text NOT NULL,
  "ParentTokens" text[] NOT NULL,
  "StartTimestamp" timestamptz NOT NULL,
  "EndTimestamp" timestamptz NOT NULL,
  "HeartbeatMillis" bigint NOT NULL,
  "State" text NOT NULL,
  "Watermark" timestamptz NOT NULL,
  "CreatedAt" spanner.commit_timestamp NOT NULL,
  "ScheduledAt" spanner.commit_timestamp,
  "RunningAt" spanner.commit_timestamp,
  "FinishedAt" spanner.commit_timestamp,
  PRIMARY KEY ("PartitionToken")
)`

// The job table has a single row: which stream from which start to which
// end this table's partitions belong to, the applied watermark, and the
// generation of the launch that holds the table (see fence.go). Generation
// and LaunchedAt may be NULL: tables made before they existed get them
// added by Ensure, and a NULL generation is generation 0.
const jobDDL = "CREATE TABLE `%s` (\n" +
	"  JobKey STRING(MAX) NOT NULL,\n" +
	"  StreamName STRING(MAX) NOT NULL,\n" +
	"  StartTimestamp TIMESTAMP NOT NULL,\n" +
	"  StartGiven BOOL NOT NULL,\n" +
	"  EndTimestamp TIMESTAMP NOT NULL,\n" +
	"  AppliedWatermark TIMESTAMP NOT NULL,\n" +
	"  CreatedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp=true),\n" +
	"  UpdatedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp=true),\n" +
	"  Generation INT64,\n" +
	"  LaunchedAt TIMESTAMP OPTIONS (allow_commit_timestamp=true),\n" +
	") PRIMARY KEY (JobKey)"

const jobDDLPostgres = `CREATE TABLE "%s" (
  "JobKey" text NOT NULL,
  "StreamName" text NOT NULL,
  "StartTimestamp" timestamptz NOT NULL,
  "StartGiven" boolean NOT NULL,
  "EndTimestamp" timestamptz NOT NULL,
  "AppliedWatermark" timestamptz NOT NULL,
  "CreatedAt" spanner.commit_timestamp NOT NULL,
  "UpdatedAt" spanner.commit_timestamp NOT NULL,
  "Generation" bigint,
  "LaunchedAt" spanner.commit_timestamp,
  PRIMARY KEY ("JobKey")
)`

// fenceColumns are the job table's columns added after its first version,
// with their GoogleSQL and PostgreSQL types: Ensure adds them to an older
// table. Both may be NULL, so that the rows of an older table stay valid.
var fenceColumns = []struct{ name, googleSQL, postgres string }{
	{"Generation", "INT64", "bigint"},
	{"LaunchedAt", "TIMESTAMP OPTIONS (allow_commit_timestamp=true)", "spanner.commit_timestamp"},
}

// Ensure creates the partition and job tables in db
// (projects/p/instances/i/databases/d) when they do not exist, and adds the
// fencing columns to a job table made by an earlier version.
func (t Table) Ensure(ctx context.Context, admin *database.DatabaseAdminClient, db string) error {
	if !validName.MatchString(t.Name) || len(t.Name) > maxNameLen {
		return fmt.Errorf("partition metadata table name %q: use letters, digits and underscores, starting with a letter, at most %d characters",
			t.Name, maxNameLen)
	}
	var ddl []string
	for _, want := range []struct{ name, googleSQL, postgres string }{
		{t.Name, partitionDDL, partitionDDLPostgres},
		{t.jobTable(), jobDDL, jobDDLPostgres},
	} {
		exists, err := t.tableExists(ctx, want.name)
		if err != nil {
			return fmt.Errorf("checking for table %s in %s: %w", want.name, db, err)
		}
		if exists {
			if want.name == t.jobTable() {
				alter, err := t.missingColumns(ctx)
				if err != nil {
					return fmt.Errorf("checking the columns of table %s in %s: %w", want.name, db, err)
				}
				ddl = append(ddl, alter...)
			}
			continue
		}
		if t.Postgres {
			ddl = append(ddl, fmt.Sprintf(want.postgres, want.name))
		} else {
			ddl = append(ddl, fmt.Sprintf(want.googleSQL, want.name))
		}
	}
	if len(ddl) == 0 {
		return nil
	}
	op, err := admin.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: db, Statements: ddl})
	if err == nil {
		err = op.Wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("creating or updating partition metadata tables %s and %s in %s: %w", t.Name, t.jobTable(), db, err)
	}
	return nil
}

// missingColumns returns the statements that add the fencing columns the
// job table lacks.
func (t Table) missingColumns(ctx context.Context) ([]string, error) {
	have := map[string]bool{}
	err := t.Client.Single().Query(ctx, t.stmt(
		"SELECT column_name FROM information_schema.columns WHERE table_schema = @p1 AND table_name = @p2",
		t.schema(), t.jobTable())).Do(func(r *spanner.Row) error {
		var name string
		if err := r.Column(0, &name); err != nil {
			return err
		}
		have[name] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range fenceColumns {
		switch {
		case have[c.name]:
		case t.Postgres:
			out = append(out, fmt.Sprintf(`ALTER TABLE "%s" ADD COLUMN "%s" %s`, t.jobTable(), c.name, c.postgres))
		default:
			out = append(out, fmt.Sprintf("ALTER TABLE `%s` ADD COLUMN %s %s", t.jobTable(), c.name, c.googleSQL))
		}
	}
	return out, nil
}

func (t Table) schema() string {
	if t.Postgres {
		return "public"
	}
	return ""
}

func (t Table) tableExists(ctx context.Context, name string) (bool, error) {
	iter := t.Client.Single().Query(ctx, t.stmt(
		"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @p1 AND table_name = @p2", t.schema(), name))
	defer iter.Stop()
	row, err := iter.Next()
	if err != nil {
		return false, err
	}
	var n int64
	if err := row.Column(0, &n); err != nil {
		return false, err
	}
	return n > 0, nil
}
