package shadow

import (
	"encoding/json"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// BenchmarkKeyOf measures the Spanner key of one record with a two-column
// key, as the writer builds it for every change (io/shadow/apply prepare).
func BenchmarkKeyOf(b *testing.B) {
	for _, tc := range []struct {
		name  string
		types [2]string
	}{
		{"googlesql", [2]string{"INT64", "STRING(36)"}},
		{"postgresql", [2]string{"bigint", "character varying(36)"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			t := schema.SpannerTable{Name: "Orders",
				Columns: []schema.SpannerColumn{
					{Name: "tenant", Type: tc.types[1]}, {Name: "id", Type: tc.types[0]}, {Name: "note", Type: tc.types[1]},
				},
				PrimaryKey: []schema.KeyPart{{Column: "tenant"}, {Column: "id"}},
			}
			keys := map[string]json.RawMessage{"tenant": json.RawMessage(`"acme"`), "id": json.RawMessage(`"42"`)}
			if k, err := KeyOf(t, keys); err != nil || len(k) != 2 {
				b.Fatalf("KeyOf = %v, %v", k, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := KeyOf(t, keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
