package integration_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
)

// TestSourceTimezoneOffsetOnNonUTCServer replicates a Spanner TIMESTAMP
// with sourceDbTimezoneOffset +05:00 into a DATETIME and a TIMESTAMP
// column of a server whose default time_zone is +05:00 too (a source
// database in that zone). As documented (docs/mapping.md, "TIMESTAMP"):
//
//   - the DATETIME holds the instant's wall clock in +05:00, as the Java
//     template's CONVERT_TZ(value, '+00:00', offset) gives;
//   - the TIMESTAMP holds the instant itself: UNIX_TIMESTAMP and a UTC
//     session read the Spanner value, and a session in the server's zone
//     reads the same wall clock as the DATETIME.
//
// The writer used to force its session to +00:00, so the TIMESTAMP got the
// +05:00 wall clock taken as UTC: five hours late.
func TestSourceTimezoneOffsetOnNonUTCServer(t *testing.T) {
	srv := testenv.PrivateMariaDB(t, "--default-time-zone=+05:00")
	db, dsn := srv.Database(t, "tz_shard")
	var serverZone string
	if err := db.QueryRow("SELECT @@GLOBAL.time_zone").Scan(&serverZone); err != nil || serverZone != "+05:00" {
		t.Fatalf("server time_zone %q (%v), want +05:00", serverZone, err)
	}
	if _, err := db.Exec("CREATE TABLE Events (Id BIGINT PRIMARY KEY, Dt DATETIME NULL, Ts TIMESTAMP NULL)"); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, db, dsn)
	emu := testenv.Spanner(t)
	id := "tz" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	path := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE Events (Id INT64 NOT NULL, Dt TIMESTAMP, Ts TIMESTAMP) PRIMARY KEY (Id)",
		"CREATE CHANGE STREAM events_cs FOR Events OPTIONS (value_capture_type = 'NEW_ROW')",
	})
	testenv.CreateDatabase(t, emu, id+"meta", false, nil)
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	start := time.Now().UTC()
	at := ts("2024-02-02T20:00:00Z")
	commit, err := client.Apply(ctx, []*spanner.Mutation{
		spanner.Insert("Events", []string{"Id", "Dt", "Ts"}, []any{int64(1), at, at}),
	})
	if err != nil {
		t.Fatal(err)
	}
	testrun.Pipeline(t, ctx, map[string]string{
		"changeStreamName": "events_cs", "instanceId": emu.Instance, "databaseId": id,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": id + "meta",
		"sourceShardsFilePath": shardFile, "deadLetterQueueDirectory": t.TempDir(),
		"sourceDbTimezoneOffset": "+05:00",
		"startTimestamp":         start.Format(time.RFC3339Nano),
		"endTimestamp":           commit.Add(2 * time.Second).Format(time.RFC3339Nano),
	}, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200})

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// zone is an SQL expression for the session's time_zone.
	read := func(zone string) (dt, tsText string, unix int64) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, "SET time_zone = "+zone); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(ctx, "SELECT CAST(Dt AS CHAR), CAST(Ts AS CHAR), UNIX_TIMESTAMP(Ts) FROM Events WHERE Id = 1").
			Scan(&dt, &tsText, &unix); err != nil {
			t.Fatalf("reading the row back: %v", err)
		}
		return dt, tsText, unix
	}
	dt, utc, unix := read("'+00:00'")
	if dt != "2024-02-03 01:00:00" {
		t.Errorf("DATETIME holds %s, want 2024-02-03 01:00:00 (the instant in +05:00)", dt)
	}
	if unix != at.Unix() || utc != "2024-02-02 20:00:00" {
		t.Errorf("TIMESTAMP holds %s UTC (unix %d), want the Spanner instant 2024-02-02 20:00:00 UTC (unix %d)", utc, unix, at.Unix())
	}
	if _, local, _ := read("@@GLOBAL.time_zone"); local != dt {
		t.Errorf("TIMESTAMP in the server's zone reads %s, want %s like the DATETIME", local, dt)
	}
}
