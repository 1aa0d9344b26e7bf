package postgresql

import (
	"reflect"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

func TestReadSchema(t *testing.T) {
	d := testenv.PostgreSQL(t)
	for _, q := range []string{
		`CREATE SCHEMA app`,
		`CREATE TYPE app.mood AS ENUM ('ok', 'Not ok')`,
		`CREATE DOMAIN app.short AS varchar(5)`,
		`CREATE TABLE app."Users" (
			id bigint, region text, "E-mail" varchar(100) NOT NULL, nick char(8), m app.mood, tags text[],
			price numeric(10,2), seen timestamptz, code app.short, sq int GENERATED ALWAYS AS (id * 2) STORED,
			PRIMARY KEY (region, id),
			CONSTRAINT users_email UNIQUE ("E-mail"))`,
		`CREATE UNIQUE INDEX users_nick_m ON app."Users" (nick, m)`,
		`CREATE UNIQUE INDEX users_lower ON app."Users" (lower(region))`, // an expression: not readable from values
		`CREATE TABLE app.parts (id int PRIMARY KEY) PARTITION BY RANGE (id)`,
		`CREATE TABLE app.parts_1 PARTITION OF app.parts FOR VALUES FROM (0) TO (10)`,
		`CREATE VIEW app.v AS SELECT 1 AS x`,
		`CREATE TABLE public.elsewhere (id int PRIMARY KEY)`,
	} {
		if _, err := d.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	src, err := ReadSchema(t.Context(), d.DB, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Tables) != 2 {
		t.Fatalf("tables %v, want Users and parts (no partition, view or other namespace)", src.Tables)
	}
	u := src.Tables["Users"]
	want := []schema.SourceColumn{
		{Name: "id", DataType: "int8", ColumnType: "bigint"},
		{Name: "region", DataType: "text", ColumnType: "text"},
		{Name: "E-mail", DataType: "varchar", ColumnType: "character varying(100)", MaxLength: 100},
		{Name: "nick", DataType: "bpchar", ColumnType: "character(8)", Nullable: true, MaxLength: 8},
		{Name: "m", DataType: "enum", ColumnType: "app.mood", Nullable: true, Members: []string{"ok", "Not ok"}},
		{Name: "tags", DataType: "text[]", ColumnType: "text[]", Nullable: true},
		{Name: "price", DataType: "numeric", ColumnType: "numeric(10,2)", Nullable: true},
		{Name: "seen", DataType: "timestamptz", ColumnType: "timestamp with time zone", Nullable: true},
		{Name: "code", DataType: "varchar", ColumnType: "app.short", Nullable: true},
		{Name: "sq", DataType: "int4", ColumnType: "integer", Nullable: true, Generated: true},
	}
	if !reflect.DeepEqual(u.Columns, want) {
		t.Errorf("columns\n got %+v\nwant %+v", u.Columns, want)
	}
	if !reflect.DeepEqual(u.PrimaryKey, []string{"region", "id"}) {
		t.Errorf("primary key %v", u.PrimaryKey)
	}
	wantU := []schema.UniqueKey{{Name: "users_email", Columns: []string{"E-mail"}}, {Name: "users_nick_m", Columns: []string{"nick", "m"}}}
	if !reflect.DeepEqual(u.UniqueKeys, wantU) {
		t.Errorf("unique keys %+v, want %+v", u.UniqueKeys, wantU)
	}
	if p := src.Tables["parts"]; !reflect.DeepEqual(p.PrimaryKey, []string{"id"}) {
		t.Errorf("partitioned table: %+v", p)
	}
}
