package spannerread

import (
	"reflect"
	"strings"
	"testing"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

func TestKeyOf(t *testing.T) {
	tbl := schema.SpannerTable{Name: "T", PrimaryKey: []schema.KeyPart{{Column: "b"}, {Column: "a"}, {Column: "c"}}}
	tests := []struct {
		keys    string
		want    spanner.Key
		wantErr string
	}{
		// Key order is the table's, not the JSON object's.
		{keys: `{"a":"12","b":"eu","c":1.5}`, want: spanner.Key{"eu", "12", 1.5}},
		{keys: `{"a":null,"b":true,"c":"AAEC"}`, want: spanner.Key{true, spanner.NullString{}, "AAEC"}},
		{keys: `{"a":"1","b":"x"}`, wantErr: "lack key column c"},
		{keys: `{"a":["1"],"b":"x","c":"y"}`, wantErr: "key column a has a []interface {} value"},
		{keys: `not json`, wantErr: "are not a JSON object"},
	}
	for _, tt := range tests {
		got, err := keyOf(tbl, tt.keys)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "table T") {
				t.Errorf("keyOf(%s) error %v, want one naming table T and containing %q", tt.keys, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("keyOf(%s) = %#v, %v; want %#v", tt.keys, got, err, tt.want)
		}
	}
}
