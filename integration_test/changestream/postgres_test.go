package changestream_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// TestPostgresDialect reads a PostgreSQL-dialect database's stream (JSONB
// records) with the partition metadata in a PostgreSQL-dialect database
// too, through churn, and checks every change arrives decoded.
func TestPostgresDialect(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	mainID, metaID := uniqueID("pg"), uniqueID("pgmeta")
	mainDB := testenv.CreateDatabase(t, emu, mainID, true, []string{
		`CREATE TABLE accounts (id bigint NOT NULL, owner text, balance numeric, PRIMARY KEY (id))`,
		`CREATE CHANGE STREAM pg_cs FOR ALL WITH (value_capture_type = 'NEW_ROW', retention_period = '7d')`,
	})
	testenv.CreateDatabase(t, emu, metaID, true, nil)
	client, err := spanner.NewClient(ctx, mainDB)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	start := time.Now().UTC()
	cfg := changestream.Config{
		Database: mainDB, Stream: "pg_cs", Postgres: true, MetadataDatabase: emu.DatabasePath(metaID), MetadataTable: "Metadata_pg",
		HeartbeatMillis: 500, QueryWindowMillis: 1000, PollMillis: 200, EndNanos: start.Add(10 * time.Second).UnixNano(),
	}
	launch(t, &cfg, start, true)
	if !cfg.MetadataPostgres {
		t.Fatal("Launch did not notice the PostgreSQL metadata database")
	}

	type write struct {
		at      time.Time
		id      int64
		deleted bool
	}
	var writes []write
	done := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		exists := map[int64]bool{}
		// Writes stop 2 s before the stream's end: a loaded machine may
		// take longer than the 30 writes' 3 s, and a change committed
		// after the end timestamp is rightly not read.
		stop := time.Unix(0, cfg.EndNanos).Add(-2 * time.Second)
		for i := int64(1); i <= 30 && time.Now().Before(stop); i++ {
			muts := []*spanner.Mutation{spanner.InsertOrUpdate("accounts", []string{"id", "owner", "balance"},
				[]any{i % 10, "owner", spanner.PGNumeric{Numeric: "12.50", Valid: true}})}
			deleted := i%7 == 0 && exists[i%10] // deleting no row is no change
			exists[i%10] = !deleted
			if deleted {
				muts = []*spanner.Mutation{spanner.Delete("accounts", spanner.Key{i % 10})}
			}
			at, err := client.Apply(ctx, muts)
			if err != nil {
				done <- err
				return
			}
			writes = append(writes, write{at, i % 10, deleted})
			time.Sleep(100 * time.Millisecond)
		}
		done <- nil
	}()
	run := uniqueID("pgrun")
	if err := ptest.Run(readPipeline(cfg, run)); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := map[int64]record.DataChangeRecord{} // by commit time
	for _, r := range takeCollected(run) {
		got[r.CommitTimestamp.Time().UnixNano()] = r
	}
	for _, w := range writes {
		r, ok := got[w.at.UnixNano()]
		if !ok {
			t.Errorf("change of account %d at %v not emitted", w.id, w.at)
			continue
		}
		var keys struct {
			ID json.Number `json:"id"`
		}
		if err := json.Unmarshal([]byte(r.Mods[0].KeysJSON), &keys); err != nil || keys.ID.String() != jsonID(w.id) {
			t.Errorf("change at %v: keys %s, want id %d", w.at, r.Mods[0].KeysJSON, w.id)
		}
		if r.TableName != "accounts" || r.ValueCaptureType != "NEW_ROW" || len(r.ColumnTypes) == 0 {
			t.Errorf("change at %v decoded as %+v", w.at, r)
		}
		if w.deleted != (r.ModType == record.ModDelete) {
			t.Errorf("change at %v: mod type %s, deleted %v", w.at, r.ModType, w.deleted)
		}
	}
	rows, err := metaTable(t, cfg).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.State != meta.StateFinished {
			t.Errorf("partition %s is %s", r.Token, r.State)
		}
	}
	t.Logf("%d changes, %d partitions", len(writes), len(rows))
	if len(writes) < 10 {
		t.Errorf("only %d changes were committed before the stream's end; the test wants 10 or more", len(writes))
	}
}

func jsonID(n int64) string { b, _ := json.Marshal(n); return string(b) }
