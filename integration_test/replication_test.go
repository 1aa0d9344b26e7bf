package integration_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/template/params"
)

var singersSpanner = []string{
	`CREATE TABLE Singers (
		SingerId INT64 NOT NULL,
		FirstName STRING(100),
		Active BOOL,
		Score FLOAT64,
		Born DATE,
		UpdatedAt TIMESTAMP,
	) PRIMARY KEY (SingerId)`,
	`CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')`,
}

const singersMySQL = "CREATE TABLE Singers (SingerId BIGINT NOT NULL PRIMARY KEY, FirstName VARCHAR(100), " +
	"Active TINYINT(1), Score DOUBLE, Born DATE, UpdatedAt DATETIME(6))"

type singer struct {
	ID        int64
	FirstName sql.NullString
	Active    sql.NullBool
	Score     sql.NullFloat64
	Born      sql.NullString
	UpdatedAt sql.NullString
}

// TestReplicatesInsertUpdateDelete is the walking skeleton's end-to-end
// check: rows inserted, updated and deleted in Spanner while the pipeline
// runs end up in MariaDB exactly as in Spanner, and the shadow table holds
// the commit timestamp of each key's last change.
func TestReplicatesInsertUpdateDelete(t *testing.T) {
	emu := testenv.Spanner(t)
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec(singersMySQL); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, admin, dsn)

	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	mainDB := emu.CreateDatabase(t, "main"+suffix, false, singersSpanner)
	emu.CreateDatabase(t, "meta"+suffix, false, nil)
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	start := time.Now().UTC()
	end := start.Add(20 * time.Second)
	cfg, err := params.Parse(params.Values{
		"changeStreamName": "allstream", "instanceId": emu.Instance, "databaseId": "main" + suffix,
		"spannerProjectId": emu.Project, "metadataInstance": emu.Instance, "metadataDatabase": "meta" + suffix,
		"sourceShardsFilePath": shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp": end.Format(time.RFC3339Nano), "deadLetterQueueDirectory": t.TempDir(),
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Prepare(ctx, cfg, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plan.ShadowTablesCreated, []string{"shadow_Singers"}) {
		t.Fatalf("shadow tables created = %v, want [shadow_Singers]", plan.ShadowTablesCreated)
	}

	// Write while the pipeline runs: the stream only has what is committed
	// after startTimestamp.
	writes := make(chan error, 1)
	go func() { writes <- writeWorkload(ctx, client) }()

	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, plan)
	if err := ptest.Run(p); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if err := <-writes; err != nil {
		t.Fatalf("workload: %v", err)
	}

	want := spannerSingers(t, ctx, client)
	got := mysqlSingers(t, admin)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MySQL rows differ from Spanner's\n got: %+v\nwant: %+v", got, want)
	}
	if len(want) != 3 {
		t.Errorf("workload should leave 3 rows, Spanner has %d", len(want))
	}
	checkShadow(t, ctx, emu, "meta"+suffix, client)
}

// writeWorkload inserts 5 singers, updates 2, deletes 2, and re-inserts one
// deleted key, in separate transactions.
func writeWorkload(ctx context.Context, c *spanner.Client) error {
	cols := []string{"SingerId", "FirstName", "Active", "Score", "Born", "UpdatedAt"}
	steps := [][]*spanner.Mutation{}
	for i := int64(1); i <= 5; i++ {
		steps = append(steps, []*spanner.Mutation{spanner.Insert("Singers", cols, []any{
			i, fmt.Sprintf("singer-%d", i), i%2 == 0, float64(i) * 1.5,
			civil.Date{Year: 1980, Month: time.Month(i), Day: 2}, time.Date(2024, 2, 2, 20, 0, int(i), 0, time.UTC),
		})})
	}
	steps = append(steps,
		[]*spanner.Mutation{spanner.Update("Singers", []string{"SingerId", "FirstName", "Score"}, []any{int64(2), "renamed", nil})},
		[]*spanner.Mutation{spanner.Update("Singers", []string{"SingerId", "Active"}, []any{int64(3), true})},
		[]*spanner.Mutation{spanner.Delete("Singers", spanner.Key{int64(4)})},
		[]*spanner.Mutation{spanner.Delete("Singers", spanner.Key{int64(5)})},
		[]*spanner.Mutation{spanner.InsertOrUpdate("Singers", []string{"SingerId", "FirstName"}, []any{int64(2), "twice renamed"})},
	)
	time.Sleep(2 * time.Second)
	for _, m := range steps {
		if _, err := c.Apply(ctx, m); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

func spannerSingers(t *testing.T, ctx context.Context, c *spanner.Client) []singer {
	t.Helper()
	var out []singer
	err := c.Single().Query(ctx, spanner.Statement{SQL: `SELECT SingerId, FirstName, Active, Score,
		CAST(Born AS STRING), FORMAT_TIMESTAMP('%F %H:%M:%E6S', UpdatedAt, 'UTC') FROM Singers ORDER BY SingerId`}).Do(func(r *spanner.Row) error {
		var s singer
		var name, born, upd spanner.NullString
		var active spanner.NullBool
		var score spanner.NullFloat64
		if err := r.Columns(&s.ID, &name, &active, &score, &born, &upd); err != nil {
			return err
		}
		s.FirstName = sql.NullString{String: name.StringVal, Valid: name.Valid}
		s.Active = sql.NullBool{Bool: active.Bool, Valid: active.Valid}
		s.Score = sql.NullFloat64{Float64: score.Float64, Valid: score.Valid}
		s.Born = sql.NullString{String: born.StringVal, Valid: born.Valid}
		s.UpdatedAt = sql.NullString{String: upd.StringVal, Valid: upd.Valid}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mysqlSingers(t *testing.T, db *sql.DB) []singer {
	t.Helper()
	rows, err := db.Query("SELECT SingerId, FirstName, Active, Score, Born, UpdatedAt FROM Singers ORDER BY SingerId")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []singer
	for rows.Next() {
		var s singer
		if err := rows.Scan(&s.ID, &s.FirstName, &s.Active, &s.Score, &s.Born, &s.UpdatedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// checkShadow compares each shadow row with the commit timestamp of the
// key's last write in Spanner (deleted keys keep the delete's timestamp).
func checkShadow(t *testing.T, ctx context.Context, emu *testenv.SpannerEmulator, metaID string, data *spanner.Client) {
	t.Helper()
	meta, err := spanner.NewClient(ctx, fmt.Sprintf("projects/%s/instances/%s/databases/%s", emu.Project, emu.Instance, metaID))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	var ids []int64
	err = meta.Single().Read(ctx, "shadow_Singers", spanner.AllKeys(), []string{"SingerId", "processed_commit_ts"}).Do(func(r *spanner.Row) error {
		var id int64
		var ts time.Time
		if err := r.Columns(&id, &ts); err != nil {
			return err
		}
		if ts.IsZero() {
			t.Errorf("shadow row %d has no commit timestamp", id)
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if want := []int64{1, 2, 3, 4, 5}; !reflect.DeepEqual(ids, want) {
		t.Errorf("shadow rows for keys %v, want %v", ids, want)
	}
}
