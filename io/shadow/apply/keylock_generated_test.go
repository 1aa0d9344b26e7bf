package apply

import (
	"context"
	"fmt"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// A table whose primary key PostgreSQL partly generates: an upsert names
// its row by the key columns it writes ("Id"), a delete by every column
// it does not generate ("Id", "Name", "ParentId": mapping's deleteBy).
// Both must lock the same key, or the delete does not wait for another
// writer's uncommitted insert of the row, deletes nothing, and the insert
// outlives the delete recorded in the shadow row (the fault keylock.go
// fixes). The unique index on "Name" is what lets PostgreSQL write such a
// table at all: its rows go by primary key, row by row (ON CONFLICT
// ("Id") matches no constraint).
func TestDeleteOfAGeneratedKeyRowWaitsForItsInsert(t *testing.T) {
	f := newFixture(t)
	rows := onPostgreSQL(t, f, false,
		`CREATE TABLE "Parents" ("Id" bigint PRIMARY KEY)`,
		`CREATE TABLE "Items" ("Id" bigint NOT NULL, "Name" varchar(10) UNIQUE, "ParentId" bigint,
			"G" bigint GENERATED ALWAYS AS ("Id" * 2) STORED, PRIMARY KEY ("Id", "G"))`)
	ctx := context.Background()
	w := otherWriter(f)
	// W's transaction M inserts row 1 at version 1 and has not ended.
	p, err := w.prepare(ctx, rec(1, 1, 0, "w"))
	if err != nil {
		t.Fatal(err)
	}
	changes := w.changes([]prepared{p})
	m, err := w.openWriting(ctx, f.db, changes)
	if err != nil {
		t.Fatal(err)
	}
	defer m.rollback()
	if refused, err := m.sess.Write(m.ctx, changes); err != nil || len(refused) > 0 {
		t.Fatalf("W's insert: refused %v, %v", refused, err)
	}
	// T deletes row 1 at version 2; the delete carries the row's values
	// (read from Spanner), by which it finds the row.
	del := rec(1, 2, 0, "")
	del.Mod.NewValuesJSON = `{"Name":"w","ParentId":null}`
	type result struct {
		out Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := f.applier.Apply(ctx, f.db, []record.Record{del})
		done <- result{out, err}
	}()
	waited := waitUntilBlocked(t, f.db, "postgresql", done)
	if err := m.sess.Commit(); err != nil {
		t.Fatalf("committing W's transaction: %v", err)
	}
	m.close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.out.Applied) != 1 {
		t.Fatalf("outcome %+v, want the delete applied", r.out)
	}
	if got := f.shadowSec(t, 1); got != 2 {
		t.Fatalf("shadow row 1 at %d, want 2", got)
	}
	if got := fmt.Sprint(rows(t)); got != "map[]" {
		t.Errorf("target = %s, want map[]: the delete at version 2 is recorded over the insert at version 1, which outlives it", got)
	}
	if !waited {
		t.Errorf("the delete did not wait for W's transaction")
	}
}
