package mapping

import (
	"reflect"
	"testing"
)

func TestSourceTableAndKeySources(t *testing.T) {
	m := newMapper(testNames)
	tests := []struct {
		spanner string
		source  string
		keys    []KeySource
		ok      bool
	}{
		{"Singers", "singers", []KeySource{{Spanner: "SingerId", Source: "singer_id", SpannerType: "INT64"}}, true},
		{"Users", "Users", []KeySource{{Spanner: "id", Source: "id", SpannerType: "INT64"}}, true},
		// child21's Spanner key (id, child_id): id feeds parent_id, not
		// a source key column, so the source key cannot find the row.
		{"child21", "child21", nil, false},
		{"Missing", "", nil, false},
		{"nopk", "", nil, false}, // no primary key at the source: not replicated
	}
	for _, tt := range tests {
		if got, _ := m.SourceTable(tt.spanner); got != tt.source {
			t.Errorf("SourceTable(%s) = %q, want %q", tt.spanner, got, tt.source)
		}
		keys, ok := m.KeySources(tt.spanner)
		if ok != tt.ok || !reflect.DeepEqual(keys, tt.keys) {
			t.Errorf("KeySources(%s) = %v, %v; want %v, %v", tt.spanner, keys, ok, tt.keys, tt.ok)
		}
	}
}
