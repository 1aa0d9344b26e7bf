package mapping

import (
	"testing"

	mysqlconvert "github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	pgconvert "github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// benchRecord is an UPDATE of a six-column row: the writer's per-record
// work (io/shadow/apply prepare) maps every such record once.
var benchRecord = rec("Orders", record.ModUpdate, `{"id":"42"}`,
	`{"name":"Ada Lovelace","amount":"1234.56","placed":"2024-02-02T20:00:00.123456Z","paid":true,"ratio":0.25}`)

var benchSpanner = schema.Spanner{Tables: map[string]schema.SpannerTable{
	"Orders": spTable("Orders", []string{"id"}, "id INT64", "name STRING(MAX)", "amount NUMERIC",
		"placed TIMESTAMP", "paid BOOL", "ratio FLOAT64"),
}}

// benchMapper maps Orders onto a source table whose columns are typed as
// information_schema (MySQL) or ReadSchema (PostgreSQL) describes them.
func benchMapper(b *testing.B, pg bool) *Mapper {
	b.Helper()
	src := schema.SourceTable{Name: "Orders", PrimaryKey: []string{"id"}, Columns: []schema.SourceColumn{
		{Name: "id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "name", DataType: "varchar", ColumnType: "varchar(100)", MaxLength: 100},
		{Name: "amount", DataType: "decimal", ColumnType: "decimal(12,2)"},
		{Name: "placed", DataType: "datetime", ColumnType: "datetime(6)"},
		{Name: "paid", DataType: "tinyint", ColumnType: "tinyint(1)"},
		{Name: "ratio", DataType: "double", ColumnType: "double"},
	}}
	m := &Mapper{Spanner: benchSpanner, Values: mysqlconvert.Values{}}
	if pg {
		src.Columns = []schema.SourceColumn{
			{Name: "id", DataType: "int8", ColumnType: "bigint"},
			{Name: "name", DataType: "varchar", ColumnType: "character varying(100)", MaxLength: 100},
			{Name: "amount", DataType: "numeric", ColumnType: "numeric(12,2)"},
			{Name: "placed", DataType: "timestamptz", ColumnType: "timestamp(6) with time zone"},
			{Name: "paid", DataType: "bool", ColumnType: "boolean"},
			{Name: "ratio", DataType: "float8", ColumnType: "double precision"},
		}
		m.Values = pgconvert.Values{}
	}
	m.Source = schema.Source{Tables: map[string]schema.SourceTable{"Orders": src}}
	return m
}

func benchmarkToSourceWith(b *testing.B, pg bool) {
	m := benchMapper(b, pg)
	v, err := benchRecord.Mod.Decode()
	if err != nil {
		b.Fatal(err)
	}
	row, err := m.ToSourceWith(benchRecord, v, nil)
	if err != nil || len(row.Values) != 6 {
		b.Fatalf("ToSourceWith = %+v, %v; want six values", row, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.ToSourceWith(benchRecord, v, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToSourceWithMySQL and BenchmarkToSourceWithPostgreSQL measure
// the mapping of one decoded record, the values converted by each target.
func BenchmarkToSourceWithMySQL(b *testing.B)      { benchmarkToSourceWith(b, false) }
func BenchmarkToSourceWithPostgreSQL(b *testing.B) { benchmarkToSourceWith(b, true) }
