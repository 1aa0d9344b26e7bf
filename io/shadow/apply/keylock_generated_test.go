package apply

import "testing"

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
	// T deletes row 1 at version 2; the delete carries the row's values
	// (read from Spanner), by which it finds the row.
	del := rec(1, 2, 0, "")
	del.Mod.NewValuesJSON = `{"Name":"w","ParentId":null}`
	requireDeleteWaitsForInsert(t, f, "postgresql", del, rows)
}
