package apply

import (
	"reflect"
	"testing"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// TestDecideStrays: a verification's stray delete does not take part in
// the rule for the others of its key; it is applied unless the key's
// shadow row is strictly newer than it (then it is stale).
func TestDecideStrays(t *testing.T) {
	tb := shadow.Table{Name: "shadow_T"}
	v := func(sec int64, seq int64) newer.Version {
		return newer.Version{CommitTs: record.Timestamp{Seconds: sec}, Seq: seq}
	}
	ps := []prepared{
		{table: tb, key: spanner.Key{int64(1)}, version: v(10, 0)},              // older than stored: stale
		{table: tb, key: spanner.Key{int64(1)}, version: v(5, 0), stray: true},  // stray older than stored: stale
		{table: tb, key: spanner.Key{int64(2)}, version: v(20, 0)},              // new key: applied
		{table: tb, key: spanner.Key{int64(2)}, version: v(30, 0)},              // newer in the batch: supersedes
		{table: tb, key: spanner.Key{int64(1)}, version: v(50, 9), stray: true}, // stray
	}
	stored := map[string]newer.Version{"shadow_T" + spanner.Key{int64(1)}.String(): v(40, 0)}
	d := decide(identified(ps), stored)
	if want := []int{3, 4}; !reflect.DeepEqual(d.Apply, want) {
		t.Errorf("Apply = %v, want %v", d.Apply, want)
	}
	if !reflect.DeepEqual(d.Stale, []int{0, 1}) || !reflect.DeepEqual(d.Superseded, []int{2}) {
		t.Errorf("Stale = %v, Superseded = %v; want [0 1], [2]", d.Stale, d.Superseded)
	}
}

// TestStrayDeleteNotAppliedOverALaterChange (review rev17): verify found a
// stray copy of key 1 in shard X at T=100 and queued a stray delete
// stamped (T, max seq). Before the regular job picks the repair up from
// retry/, the application moves the row to shard X at 200 (its shard-id
// column changes): the regular job writes the row to X and the key's
// shadow row says 200. The stray delete is now older than what X holds
// for the key; applying it "whatever the shadow row says" deletes the
// legitimate row from X, and the shadow row (200) keeps every later
// retry from bringing it back. A stray delete older than the shadow row
// must be dropped as stale (still without writing the shadow row); a
// later verify finds the copy again if it is still stray.
func TestStrayDeleteNotAppliedOverALaterChange(t *testing.T) {
	tb := shadow.Table{Name: "shadow_T"}
	v := func(sec int64, seq int64) newer.Version {
		return newer.Version{CommitTs: record.Timestamp{Seconds: sec}, Seq: seq}
	}
	ps := []prepared{{table: tb, key: spanner.Key{int64(1)}, version: v(100, 1<<62), stray: true}}
	stored := map[string]newer.Version{"shadow_T" + spanner.Key{int64(1)}.String(): v(200, 0)}
	d := decide(identified(ps), stored)
	if len(d.Apply) != 0 || !reflect.DeepEqual(d.Stale, []int{0}) {
		t.Errorf("stray delete older than the shadow row: Apply = %v, Stale = %v; want it stale, not applied", d.Apply, d.Stale)
	}
}

// TestStrayDeleteNotAppliedOverANewerChangeInItsBatch (review rev16): the
// rule above, when the later change is not yet in the shadow row but in
// the same batch as the stray delete (the repair came back from retry/
// while the row moved into the shard). Both were applied: the upsert,
// then the delete in its own statement after it, which removed the row
// while the shadow row took the upsert's version, so no retry brought it
// back. The stray delete is stale; a newer stray delete still applies.
func TestStrayDeleteNotAppliedOverANewerChangeInItsBatch(t *testing.T) {
	tb := shadow.Table{Name: "shadow_T"}
	v := func(sec int64, seq int64) newer.Version {
		return newer.Version{CommitTs: record.Timestamp{Seconds: sec}, Seq: seq}
	}
	ps := []prepared{
		{table: tb, key: spanner.Key{int64(1)}, version: v(200, 0)},                  // the row moved into the shard
		{table: tb, key: spanner.Key{int64(1)}, version: v(100, 1<<62), stray: true}, // verify saw it stray before
		{table: tb, key: spanner.Key{int64(2)}, version: v(50, 0)},
		{table: tb, key: spanner.Key{int64(2)}, version: v(100, 1<<62), stray: true}, // stray after key 2's change: applied
	}
	d := decide(identified(ps), map[string]newer.Version{})
	if !reflect.DeepEqual(d.Apply, []int{0, 2, 3}) || !reflect.DeepEqual(d.Stale, []int{1}) {
		t.Errorf("Apply = %v, Stale = %v; want [0 2 3] and the stray delete older than key 1's change stale", d.Apply, d.Stale)
	}
}

// identified sets the id of each of ps, as key does.
func identified(ps []prepared) []prepared {
	for i := range ps {
		ps[i].id = shadowID(ps[i].table.Name, ps[i].key)
	}
	return ps
}
