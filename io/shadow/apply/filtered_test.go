package apply

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

// filterNamed filters changes whose Name is "hidden" and upper-cases none.
type filterNamed struct{}

func (filterNamed) ToSourceRow(_ context.Context, req transformation.Request) (transformation.Response, error) {
	var name string
	_ = json.Unmarshal(req.RequestRow["Name"], &name)
	return transformation.Response{IsEventFiltered: name == "hidden"}, nil
}

// TestFilteredAdvancesShadow: a change the custom transformation filters
// is not written to MySQL, but its shadow row advances, so an older change
// of the same key arriving later is still recognised as stale.
func TestFilteredAdvancesShadow(t *testing.T) {
	f := newFixture(t)
	f.applier.Transform = filterNamed{}
	ctx := context.Background()
	out, err := f.applier.Apply(ctx, f.db, []record.Record{rec(1, 5, 0, "shown"), rec(2, 5, 0, "hidden")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Applied) != 1 || len(out.Filtered) != 1 || out.Filtered[0].Mod.KeysJSON != `{"Id":"2"}` {
		t.Fatalf("outcome %+v", out)
	}
	if got := f.rows(t); len(got) != 1 || got[1] != "shown" {
		t.Errorf("MySQL rows %v, want only 1=shown", got)
	}
	if sec := f.shadowSec(t, 2); sec != 5 {
		t.Errorf("shadow version of the filtered key = %d, want 5", sec)
	}
	out, err = f.applier.Apply(ctx, f.db, []record.Record{rec(2, 4, 0, "older")})
	if err != nil || out.Stale != 1 || len(out.Applied) != 0 {
		t.Errorf("older change after a filtered one: %+v, %v; want it stale", out, err)
	}
	// Only filtered changes in a batch: no MySQL transaction is needed.
	out, err = f.applier.Apply(ctx, f.db, []record.Record{rec(3, 5, 0, "hidden")})
	if err != nil || len(out.Filtered) != 1 {
		t.Errorf("filtered-only batch: %+v, %v", out, err)
	}
}
