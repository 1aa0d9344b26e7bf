package schema

import (
	"reflect"
	"testing"
)

func TestKeyColumns(t *testing.T) {
	a, b := SourceColumn{Name: "a"}, SourceColumn{Name: "b", Generated: true}
	tests := []struct {
		name    string
		table   SourceTable
		want    []SourceColumn
		wantErr string
	}{
		{"key order, not table order", SourceTable{Name: "t", Columns: []SourceColumn{a, b}, PrimaryKey: []string{"b", "a"}}, []SourceColumn{b, a}, ""},
		{"no key", SourceTable{Name: "t", Columns: []SourceColumn{a}}, nil, "table t has no primary key"},
		{"unknown key column", SourceTable{Name: "t", Columns: []SourceColumn{a}, PrimaryKey: []string{"c"}}, nil, "table t: primary key column c is not among its columns"},
	}
	for _, tt := range tests {
		got, err := tt.table.KeyColumns()
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
