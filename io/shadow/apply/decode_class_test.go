package apply

import (
	"context"
	"errors"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// A record whose keys decode but whose new values are not one JSON object
// fails the same way on every retry: it is severe, as it was when the
// mapping (or the custom transformation's request) decoded the values.
// (The record is keyed: its shadow row would be read for nothing, and the
// decision leaves it out.)
func TestBadNewValuesJSONIsSevere(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		vals string
		tr   bool
		keys string // default {"Id":"7"}
	}{
		{"not an object", `[1]`, false, ""},
		{"not an object, with a transformation", `[1]`, true, ""},
		{"truncated", `{"OrderNo":`, false, ""},
		{"trailing data", `{"OrderNo":"A-1"} {}`, false, ""},
		{"trailing data after the keys", `{"OrderNo":"A-1"}`, false, `{"Id":"7"} x`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := ordersApplier(nil)
			if tt.tr {
				a = ordersApplier(&fakeTransform{})
			}
			r := orderRec("INSERT", tt.vals)
			if tt.keys != "" {
				r.Mod.KeysJSON = tt.keys
			}
			ps, failed, err := a.prepareAll(ctx, []record.Record{r}).wait()
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 0 || len(failed) != 1 {
				t.Fatalf("%d prepared, failures %+v: want the record failed", len(ps), failed)
			}
			if c := failure.Of(failed[0].Err); c != failure.Severe {
				t.Errorf("class %v for %v: want severe (it cannot succeed on retry)", c, failed[0].Err)
			}
		})
	}
}

// A change of a table that is not at the source goes to the skip
// directory whatever its values, as before values were decoded in prepare.
func TestNotAtSourceSkippedWhateverItsValues(t *testing.T) {
	r := orderRec("UPDATE", `[1]`)
	r.TableName = "Gone"
	out, err := ordersApplier(nil).Apply(context.Background(), nil, []record.Record{r})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failed) != 1 || !errors.Is(out.Failed[0].Err, mapping.ErrTableNotAtSource) {
		t.Errorf("outcome %+v: want the record skipped (mapping.ErrTableNotAtSource)", out)
	}
}
