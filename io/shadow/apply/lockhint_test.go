package apply

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// TestShadowReadsLockExclusively applies a batch through a fake Spanner
// server that records every ReadRequest: each shadow read (the versions of
// every table of the batch, and the re-check before the MySQL commit) must
// ask for exclusive locks. With the default (shared) locks two writers of
// one key can both read the old version, both apply, and leave MySQL at
// the older version with the shadow row at the newer. The emulator does
// not model locks, so only the request can show the hint.
func TestShadowReadsLockExclusively(t *testing.T) {
	srv, err := fakespanner.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ctx := context.Background()
	meta, err := spanner.NewClientWithConfig(ctx, "projects/p/instances/i/databases/meta", spanner.ClientConfig{}, srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	db, _ := testenv.MySQL(t)
	for _, st := range itemsMySQL {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	a := &Applier{Meta: meta, ShadowPrefix: "shadow_", Spanner: itemsSpanner,
		Mapper: mapping.Mapper{Spanner: itemsSpanner, Source: itemsSource, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{}}
	parent := rec(7, 1, 0, "p")
	parent.TableName, parent.Mod.NewValuesJSON = "Parents", "{}"
	out, err := a.Apply(ctx, db, []record.Record{rec(1, 1, 0, "a"), rec(2, 1, 0, "b"), parent})
	if err != nil || len(out.Applied) != 3 {
		t.Fatalf("Apply: applied %d, err %v", len(out.Applied), err)
	}
	reads := srv.Reads()
	tables := map[string]int{}
	for _, r := range reads {
		tables[r.Table]++
		if !r.InTransaction {
			t.Errorf("read of %s outside the read-write transaction", r.Table)
		}
		if r.LockHint != spannerpb.ReadRequest_LOCK_HINT_EXCLUSIVE {
			t.Errorf("read of %s %v (%d keys) has lock hint %v, want exclusive", r.Table, r.Columns, r.Keys, r.LockHint)
		}
	}
	// One versions read per shadow table, and the re-check of one key.
	if len(reads) != 3 || tables["shadow_Items"] == 0 || tables["shadow_Parents"] == 0 {
		t.Errorf("shadow reads %+v, want the versions of both tables and the re-check", reads)
	}
	if commits, muts := srv.Commits(); commits != 1 || muts != 3 {
		t.Errorf("%d commits with %d mutations, want 1 with the 3 shadow rows", commits, muts)
	}
}
