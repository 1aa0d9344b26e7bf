package apply

import (
	"context"
	"strings"
	"testing"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// TestSourceShadowKeysAreExactBytes: the shard stores and finds each
// identity byte for byte, whatever its bytes: the empty identity (a table
// without key columns), identities that differ only by trailing spaces or
// NULs (PAD SPACE, BINARY padding), the longest short identity and long
// ones. Each is inserted as new, found again at its own version by the
// writer's lock and by verify's read, and none is taken for another.
func TestSourceShadowKeysAreExactBytes(t *testing.T) {
	ids := [][]byte{{}, {0}, {0, 0}, {0, ' '}, {1, 0}, {1, 0, 0}, {1, 1, ' '}, {1, 1, ' ', ' '}, {1, 1, 0xff}, {0xff}}
	for _, k := range []spanner.Key{{strings.Repeat("s", target.ShadowKeyMaxLen-2)}, {strings.Repeat("s", target.ShadowKeyMaxLen-3) + " "},
		{strings.Repeat("s", target.ShadowKeyMaxLen-1)}, {strings.Repeat("s", 500)}, {strings.Repeat("s", 500) + " "}} {
		sk, err := shadow.SourceKey(k)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sk.ID)
	}
	for _, kind := range srcKinds {
		t.Run(kind, func(t *testing.T) {
			f := newSrcFixture(t, kind)
			claims := make([]target.ShadowRow, len(ids))
			keys := make([]target.ShadowKey, len(ids))
			for i, id := range ids {
				keys[i] = target.ShadowKey{ID: id, Parts: []any{"x"}}
				claims[i] = target.ShadowRow{Key: keys[i], Version: ver(int64(i + 1))}
			}
			first := f.lock(t, claims, true)
			if insertedCount(first, len(ids)) != len(ids) || len(first.Stored) != 0 {
				t.Fatalf("new identities: %d inserted, %d stored; want %d inserted", insertedCount(first, len(ids)), len(first.Stored), len(ids))
			}
			again := f.lock(t, claims, false)
			if again.AllInserted || len(again.Inserted) != 0 || len(again.Stored) != len(ids) {
				t.Fatalf("the same identities again: %d inserted, %d stored; want %d stored", len(again.Inserted), len(again.Stored), len(ids))
			}
			read, err := f.applier.Target.Scanner().ShadowVersions(context.Background(), f.db,
				target.ShadowTable{Name: "shadow_Items", KeyColumns: []string{"Id"}}, keys)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				if v := again.Stored[string(id)]; v != ver(int64(i+1)) {
					t.Errorf("identity %x: the lock found %v, want %v", id, v, ver(int64(i+1)))
				}
				if v := read[string(id)]; v != ver(int64(i+1)) {
					t.Errorf("identity %x: verify read %v, want %v", id, v, ver(int64(i+1)))
				}
			}
			var n int
			if err := f.admin.QueryRow("SELECT COUNT(*) FROM " + f.quote("shadow_Items")).Scan(&n); err != nil || n != len(ids) {
				t.Errorf("shadow table holds %d rows (%v), want %d", n, err, len(ids))
			}
		})
	}
}
