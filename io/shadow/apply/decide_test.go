package apply

import (
	"reflect"
	"testing"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// TestDecideStrays: a verification's stray delete is applied whatever the
// shadow row says, and does not take part in the rule for the others of
// its key.
func TestDecideStrays(t *testing.T) {
	tb := shadow.Table{Name: "shadow_T"}
	v := func(sec int64, seq int64) newer.Version {
		return newer.Version{CommitTs: record.Timestamp{Seconds: sec}, Seq: seq}
	}
	ps := []prepared{
		{table: tb, key: spanner.Key{int64(1)}, version: v(10, 0)},              // older than stored: stale
		{table: tb, key: spanner.Key{int64(1)}, version: v(5, 0), stray: true},  // stray: applied anyway
		{table: tb, key: spanner.Key{int64(2)}, version: v(20, 0)},              // new key: applied
		{table: tb, key: spanner.Key{int64(2)}, version: v(30, 0)},              // newer in the batch: supersedes
		{table: tb, key: spanner.Key{int64(1)}, version: v(50, 9), stray: true}, // stray
	}
	stored := map[string]newer.Version{"shadow_T" + spanner.Key{int64(1)}.String(): v(40, 0)}
	d := decide(ps, stored)
	if want := []int{3, 1, 4}; !reflect.DeepEqual(d.Apply, want) {
		t.Errorf("Apply = %v, want %v", d.Apply, want)
	}
	if !reflect.DeepEqual(d.Stale, []int{0}) || !reflect.DeepEqual(d.Superseded, []int{2}) {
		t.Errorf("Stale = %v, Superseded = %v; want [0], [2]", d.Stale, d.Superseded)
	}
}
