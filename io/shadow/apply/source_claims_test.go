package apply

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Step 1 of the source-side protocol (source.go): the lock inserts a new
// key's row with its claim and says so; a row that existed is reported
// with its version (or none, for a placeholder) and left as it was.

func srcKey(t *testing.T, id int64) target.ShadowKey {
	t.Helper()
	k, err := shadow.SourceKey(spanner.Key{id})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ver(sec int64) newer.Version {
	return newer.Version{CommitTs: record.Timestamp{Seconds: 1_700_000_000 + sec}}
}

// insertedCount is how many of n claims l says were inserted.
func insertedCount(l target.ShadowLocks, n int) int {
	if l.AllInserted {
		return n
	}
	return len(l.Inserted)
}

// lock runs LockShadow for claims in a transaction of its own, and commits
// it when commit is set.
func (f *srcFixture) lock(t *testing.T, claims []target.ShadowRow, commit bool) target.ShadowLocks {
	t.Helper()
	ctx := context.Background()
	sess, err := f.applier.Target.Connect(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := sess.LockShadow(ctx, target.ShadowTable{Name: "shadow_Items", KeyColumns: []string{"Id"}}, claims)
	if err != nil {
		sess.Rollback()
		t.Fatal(err)
	}
	if commit {
		err = sess.Commit()
	} else {
		err = sess.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSourceLockShadowTellsInsertedRowsFromFoundOnes(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			// A batch of new keys only: all inserted, holding their claims
			// (key 2's claim is no version: a placeholder).
			first := f.lock(t, []target.ShadowRow{{Key: srcKey(t, 1), Version: ver(3)}, {Key: srcKey(t, 2), Unversioned: true}}, true)
			want := map[string]bool{string(srcKey(t, 1).ID): true, string(srcKey(t, 2).ID): true}
			// All inserted is told as such; a list, if any, names them all.
			if !first.AllInserted || (len(first.Inserted) > 0 && !reflect.DeepEqual(first.Inserted, want)) || len(first.Stored) != 0 {
				t.Fatalf("new keys: all inserted %t, inserted %d, stored %v; want both inserted, none stored", first.AllInserted, len(first.Inserted), first.Stored)
			}
			if f.shadowSec(t, 1) != 3 || f.shadowSec(t, 2) != -1 {
				t.Fatalf("inserted rows hold %d and %d, want their claims 3 and none", f.shadowSec(t, 1), f.shadowSec(t, 2))
			}
			// Found rows (one with a version, one placeholder) beside a new
			// key: only the new one is inserted, and the found ones keep
			// what they held whatever their claims.
			mixed := f.lock(t, []target.ShadowRow{{Key: srcKey(t, 1), Version: ver(9)}, {Key: srcKey(t, 2), Version: ver(9)},
				{Key: srcKey(t, 3), Version: ver(7)}}, true)
			want = map[string]bool{string(srcKey(t, 3).ID): true}
			wantStored := map[string]newer.Version{string(srcKey(t, 1).ID): ver(3)}
			if mixed.AllInserted || !reflect.DeepEqual(mixed.Inserted, want) || !reflect.DeepEqual(mixed.Stored, wantStored) {
				t.Errorf("mixed batch: inserted %d keys, stored %v; want key 3 inserted and key 1 at its version", len(mixed.Inserted), mixed.Stored)
			}
			if f.shadowSec(t, 1) != 3 || f.shadowSec(t, 2) != -1 || f.shadowSec(t, 3) != 7 {
				t.Errorf("rows hold %d, %d, %d; want 3, none, 7", f.shadowSec(t, 1), f.shadowSec(t, 2), f.shadowSec(t, 3))
			}
			// Found again, all of them: nothing inserted.
			again := f.lock(t, []target.ShadowRow{{Key: srcKey(t, 3), Version: ver(8)}, {Key: srcKey(t, 1), Version: ver(8)}}, false)
			wantStored = map[string]newer.Version{string(srcKey(t, 1).ID): ver(3), string(srcKey(t, 3).ID): ver(7)}
			if again.AllInserted || len(again.Inserted) != 0 || !reflect.DeepEqual(again.Stored, wantStored) {
				t.Errorf("found keys: inserted %d, stored %v; want none inserted, 3 and 7 stored", len(again.Inserted), again.Stored)
			}
		})
	}
}

// TestSourceRefusedNewKeyKeepsNoVersion: a new key's row is inserted with
// the version of its change, which the target then refuses (a unique
// value held by another row): the row must end without a version, so that
// the retry from the DLQ applies the change; the batch's other new key
// keeps its version.
func TestSourceRefusedNewKeyKeepsNoVersion(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			ctx := context.Background()
			unique := "ALTER TABLE Items ADD UNIQUE KEY name_u (Name)"
			if kind == "postgresql" {
				unique = `CREATE UNIQUE INDEX name_u ON "Items" ("Name")`
			}
			if _, err := f.admin.Exec(unique); err != nil {
				t.Fatal(err)
			}
			src, err := f.applier.Target.ReadSchema(ctx, f.shard)
			if err != nil {
				t.Fatal(err)
			}
			f.applier.Mapper.Source = src
			if _, err := f.admin.Exec(fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES (9, 'taken')", f.quote("Items"), f.quote("Id"), f.quote("Name"))); err != nil {
				t.Fatal(err)
			}
			out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "taken"), rec(2, 5, 0, "free")})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Failed) != 1 || len(out.Applied) != 1 {
				t.Fatalf("applied %d, failed %d; want key 2 applied and key 1 refused", len(out.Applied), len(out.Failed))
			}
			if sec := f.shadowSec(t, 1); sec != -1 {
				t.Errorf("refused key 1 has shadow version %d, want none", sec)
			}
			if sec := f.shadowSec(t, 2); sec != 5 {
				t.Errorf("applied key 2 has shadow version %d, want 5", sec)
			}
			if got := f.rows(t); got[2] != "free" || len(got) != 2 {
				t.Errorf("rows %v, want 2=free beside 9=taken", got)
			}
		})
	}
}

// TestSourceVersionWrites: step 4 writes exactly the versions the rows do
// not hold yet.
func TestSourceVersionWrites(t *testing.T) {
	tbl := target.ShadowTable{Name: "shadow_Items"}
	key := func(id byte) target.ShadowKey { return target.ShadowKey{ID: []byte{id}} }
	claim := func(id byte, v newer.Version, unversioned bool) sourceClaim {
		return sourceClaim{id: string(rune(id)), table: tbl, row: target.ShadowRow{Key: key(id), Version: v, Unversioned: unversioned}}
	}
	l := sourceLocks{
		inserted: map[string]bool{"\x01": true, "\x02": true, "\x03": true, "\x04": true},
		claims: []sourceClaim{
			claim(1, ver(5), false),         // inserted, applied at its claim: nothing
			claim(2, ver(5), false),         // inserted, its change refused: back to none
			claim(3, ver(5), false),         // inserted, applied at another version: that one
			claim(4, newer.Version{}, true), // inserted placeholder, nothing applied: nothing
			claim(5, ver(5), false),         // found, applied: its version
			claim(6, ver(5), false),         // found, nothing applied: nothing
		},
	}
	recorded := map[string]newer.Version{"\x01": ver(5), "\x03": ver(4), "\x05": ver(5)}
	got := l.versionWrites(recorded)
	want := []tableWrite{{table: tbl, rows: []target.ShadowRow{
		{Key: key(2), Unversioned: true}, {Key: key(3), Version: ver(4)}, {Key: key(5), Version: ver(5)},
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("versionWrites = %+v, want %+v", got, want)
	}
}

// TestSourceShadowTableOfAnotherShapeIsRefused: a table named like a
// shadow table that this writer cannot use is refused at launch, naming
// the table and what it lacks.
//
// Shapes before this one: a MySQL table without the lock counter cannot
// tell a batch's inserts from the rows it finds, and one keyed by the
// SHA-256 of the key (shadow_key_sha256) holds identities this writer
// never looks up, so every key would look new.
//
// A shadow_key that cannot hold identities byte for byte: a BINARY(32)
// (the hash's column, renamed) pads short identities with NULs, so the
// locking read never finds them again and every key looks never applied
// (an older change would overwrite a newer one); a case-insensitive
// VARCHAR takes the identities of "A" and "a" for one key; a shorter
// VARBINARY cuts long ones (or fails them); one without a unique index
// keeps duplicates; PostgreSQL text holds the identities' \x text.
func TestSourceShadowTableOfAnotherShapeIsRefused(t *testing.T) {
	const rest = ", Id TEXT, processed_commit_ts BIGINT, record_seq BIGINT, lock_count BIGINT NOT NULL DEFAULT 0)"
	for _, c := range []struct {
		name, kind, ddl, want string
	}{
		{"no lock counter", "mariadb", "CREATE TABLE shadow_Old (shadow_key BINARY(32) PRIMARY KEY, Id TEXT, processed_commit_ts BIGINT, record_seq BIGINT)", "lock_count"},
		{"hashed keys", "mariadb", "CREATE TABLE shadow_Old (shadow_key_sha256 BINARY(32) PRIMARY KEY" + rest, "needs columns shadow_key,"},
		{"hashed keys", "postgresql", `CREATE TABLE "shadow_Old" (shadow_key_sha256 bytea PRIMARY KEY, "Id" text, processed_commit_ts bigint, record_seq bigint)`, "needs columns shadow_key,"},
		{"renamed hash column", "mariadb", "CREATE TABLE shadow_Old (shadow_key BINARY(32) PRIMARY KEY" + rest, "VARBINARY(128)"},
		{"case-insensitive text", "mariadb", "CREATE TABLE shadow_Old (shadow_key VARCHAR(128) COLLATE utf8mb4_general_ci PRIMARY KEY" + rest, "VARBINARY(128)"},
		{"short varbinary", "mariadb", "CREATE TABLE shadow_Old (shadow_key VARBINARY(64) PRIMARY KEY" + rest, "VARBINARY(128)"},
		{"no unique index", "mariadb", "CREATE TABLE shadow_Old (shadow_key VARBINARY(128) NOT NULL" + rest, "primary key"},
		{"text", "postgresql", `CREATE TABLE "shadow_Old" (shadow_key text PRIMARY KEY, "Id" text, processed_commit_ts bigint, record_seq bigint)`, "bytea"},
	} {
		t.Run(c.kind+"/"+c.name, func(t *testing.T) {
			f := newSrcFixture(t, c.kind)
			if _, err := f.admin.Exec(c.ddl); err != nil {
				t.Fatal(err)
			}
			_, err := f.applier.Target.EnsureShadowTables(context.Background(), f.shard, []target.ShadowTable{{Name: "shadow_Old", KeyColumns: []string{"Id"}}})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "shadow_Old") {
				t.Errorf("EnsureShadowTables over a table of another shape: %v, want it to say %q", err, c.want)
			}
		})
	}
}

// TestSourceStrayDeleteBesideANewerChange (review rev16): a stray delete
// from verify and a newer change of the same key (the row moved into the
// shard since verify saw it) in one batch: the row must stay, at the
// newer change.
func TestSourceStrayDeleteBesideANewerChange(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			stray := rec(1, 100, 0, "")
			stray.TransactionTag, stray.RecordSequence = verify.StrayTag, "9223372036854775807"
			if _, err := f.applier.Apply(context.Background(), f.db, []record.Record{rec(1, 200, 0, "moved"), stray}); err != nil {
				t.Fatal(err)
			}
			if got := f.rows(t); got[1] != "moved" || f.shadowSec(t, 1) != 200 {
				t.Errorf("rows %v, shadow version %d; want 1=moved at 200", got, f.shadowSec(t, 1))
			}
		})
	}
}

// TestSourceLockShadowAcrossStatements (review rev16): a batch larger than
// one statement's parameters is locked in several statements; the counts
// summed over them still tell inserted rows from found ones exactly.
func TestSourceLockShadowAcrossStatements(t *testing.T) {
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			claims := func(from, to int64, v newer.Version) []target.ShadowRow {
				var out []target.ShadowRow
				for id := from; id < to; id++ {
					out = append(out, target.ShadowRow{Key: srcKey(t, id), Version: v})
				}
				return out
			}
			first := f.lock(t, claims(0, 20000, ver(3)), true)
			if insertedCount(first, 20000) != 20000 || len(first.Stored) != 0 {
				t.Fatalf("new keys over several statements: inserted %d, stored %d; want 20000, 0", insertedCount(first, 20000), len(first.Stored))
			}
			mixed := f.lock(t, claims(10000, 40000, ver(9)), true)
			if mixed.AllInserted || len(mixed.Inserted) != 20000 || len(mixed.Stored) != 10000 {
				t.Fatalf("mixed keys: inserted %d, stored %d; want 20000, 10000", len(mixed.Inserted), len(mixed.Stored))
			}
			for id := int64(10000); id < 40000; id++ {
				h := string(srcKey(t, id).ID)
				if id < 20000 && (mixed.Inserted[h] || mixed.Stored[h] != ver(3)) {
					t.Fatalf("key %d existed at 3: inserted %v, stored %v", id, mixed.Inserted[h], mixed.Stored[h])
				}
				if id >= 20000 && !mixed.Inserted[h] {
					t.Fatalf("key %d is new but not reported inserted", id)
				}
			}
			// One found key among new ones, in the second statement: the
			// count is one more than the keys, never equal.
			one := append(claims(40000, 55000, ver(1)), target.ShadowRow{Key: srcKey(t, 0), Version: ver(1)})
			got := f.lock(t, one, false)
			if len(got.Inserted) != 15000 || len(got.Stored) != 1 {
				t.Fatalf("one found key among new ones: inserted %d, stored %d; want 15000, 1", len(got.Inserted), len(got.Stored))
			}
		})
	}
}

// TestSourceLastWrite: step 3 carries the commit (target.CommitWith) only
// when nothing may follow it: no change of a table with unique keys (one
// could be refused, and its row set back) and no version write left for
// step 4; never with a BeforeSourceCommit hook, which runs between them.
func TestSourceLastWrite(t *testing.T) {
	tbl := target.ShadowTable{Name: "shadow_Items"}
	p := func(id byte, v newer.Version, stray bool) prepared {
		return prepared{srcID: string(rune(id)), version: v, stray: stray}
	}
	claim := func(id byte, v newer.Version) sourceClaim {
		return sourceClaim{id: string(rune(id)), table: tbl, row: target.ShadowRow{Key: target.ShadowKey{ID: []byte{id}}, Version: v}}
	}
	plain, uniq := target.Change{}, target.Change{Unique: true}
	allNew := sourceLocks{inserted: map[string]bool{"\x01": true, "\x02": true}, claims: []sourceClaim{claim(1, ver(5)), claim(2, ver(6))}}
	strayNew := sourceLocks{inserted: map[string]bool{"\x01": true, "\x02": true, "\x03": true},
		claims: []sourceClaim{claim(1, ver(5)), claim(2, ver(6)), {id: "\x03", table: tbl, row: target.ShadowRow{Key: target.ShadowKey{ID: []byte{3}}, Unversioned: true}}}}
	oneFound := sourceLocks{inserted: map[string]bool{"\x01": true}, claims: []sourceClaim{claim(1, ver(5)), claim(2, ver(6))}}
	for _, c := range []struct {
		name    string
		hook    bool
		ps      []prepared
		apply   []int
		changes []target.Change
		locks   sourceLocks
		want    bool
	}{
		{"new keys, applied at their claims", false, []prepared{p(1, ver(5), false), p(2, ver(6), false)}, []int{0, 1}, []target.Change{plain, plain}, allNew, true},
		{"a found key: its version is written after", false, []prepared{p(1, ver(5), false), p(2, ver(6), false)}, []int{0, 1}, []target.Change{plain, plain}, oneFound, false},
		{"a table with unique keys", false, []prepared{p(1, ver(5), false), p(2, ver(6), false)}, []int{0, 1}, []target.Change{plain, uniq}, allNew, false},
		{"a new key left out (not mapped): set back after", false, []prepared{p(1, ver(5), false), p(2, ver(6), false)}, []int{0}, []target.Change{plain}, allNew, false},
		{"a hook before the commit", true, []prepared{p(1, ver(5), false), p(2, ver(6), false)}, []int{0, 1}, []target.Change{plain, plain}, allNew, false},
		{"a stray delete beside new keys", false, []prepared{p(1, ver(5), false), p(2, ver(6), false), p(3, ver(7), true)}, []int{0, 1, 2}, []target.Change{plain, plain, plain}, strayNew, true},
	} {
		a := &Applier{}
		if c.hook {
			a.Hooks.BeforeSourceCommit = func() error { return nil }
		}
		if got := a.lastWrite(c.ps, c.apply, c.changes, c.locks); got != c.want {
			t.Errorf("%s: lastWrite = %t, want %t", c.name, got, c.want)
		}
	}
}
