package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// A DELETE finds its MySQL row with `col = ?` on the key columns, or on
// every other column when MySQL generates part of the key. A column that
// never compares equal to the bound value would leave deleted rows in
// MySQL without an error, so the launch refuses such a mapping, naming
// the table and the column.
func TestPrepareRecordProcessingRefusesInexactDeleteColumns(t *testing.T) {
	tests := []struct {
		name    string
		colType string // type of the source column c
		genKey  bool   // MySQL generates the key from c
		wantErr string // "" when the launch goes on
	}{
		{name: "json, generated key", colType: "json", genKey: true, wantErr: `table "T" column "c"`},
		{name: "double(10,2), generated key", colType: "double(10,2)", genKey: true, wantErr: `table "T" column "c"`},
		{name: "float(7,4) key", colType: "float(7,4)", wantErr: `table "T" column "c"`},
		{name: "float, generated key", colType: "float", genKey: true},
		{name: "double, generated key", colType: "double", genKey: true},
		{name: "double key", colType: "double"},
		{name: "json, not used by deletes", colType: "json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dt, _, _ := strings.Cut(tt.colType, "(")
			sp := schema.Spanner{Tables: map[string]schema.SpannerTable{"T": {
				Name:       "T",
				Columns:    []schema.SpannerColumn{{Name: "id", Type: "INT64"}, {Name: "c", Type: "FLOAT64"}},
				PrimaryKey: []schema.KeyPart{{Column: "id"}},
			}}}
			src := schema.SourceTable{Name: "T", Columns: []schema.SourceColumn{
				{Name: "id", DataType: "bigint", ColumnType: "bigint"},
				{Name: "c", DataType: dt, ColumnType: tt.colType},
			}}
			switch {
			case tt.genKey:
				src.Columns = append(src.Columns, schema.SourceColumn{Name: "g", DataType: "varchar", ColumnType: "varchar(64)", Generated: true})
				src.PrimaryKey = []string{"id", "g"}
			case tt.wantErr != "":
				src.PrimaryKey = []string{"id", "c"}
			default:
				src.PrimaryKey = []string{"id"}
			}
			if tt.colType == "json" && !tt.genKey {
				sp.Tables["T"].Columns[1].Type = "JSON"
			}
			_, err := prepareRecordProcessing(context.Background(), &params.Config{}, sp,
				schema.Source{Tables: map[string]schema.SourceTable{"T": src}}, convert.Values{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("launch refused: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("launch error %v, want one naming %s", err, tt.wantErr)
			}
			if err != nil {
				t.Log(err)
			}
		})
	}
}
