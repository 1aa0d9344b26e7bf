package shadow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

var orders = schema.SpannerTable{Name: "Orders", Columns: []schema.SpannerColumn{
	{Name: "CustomerId", Type: "INT64"}, {Name: "Placed", Type: "TIMESTAMP"}, {Name: "Note", Type: "STRING(MAX)"},
}, PrimaryKey: []schema.KeyPart{{Column: "CustomerId"}, {Column: "Placed", Desc: true}}}

var ordersPG = schema.SpannerTable{Name: "orders", Columns: []schema.SpannerColumn{
	{Name: "customer_id", Type: "bigint"}, {Name: "code", Type: "character varying(10)"},
}, PrimaryKey: []schema.KeyPart{{Column: "customer_id"}, {Column: "code"}}}

func TestCreateDDL(t *testing.T) {
	tests := []struct {
		name  string
		table schema.SpannerTable
		pg    bool
		want  string
	}{
		{"GoogleSQL keeps types and key order", orders, false, "CREATE TABLE `rev_shadow_Orders` (\n" +
			"  `CustomerId` INT64 NOT NULL,\n  `Placed` TIMESTAMP NOT NULL,\n" +
			"  `processed_commit_ts` TIMESTAMP,\n  `record_seq` INT64,\n) PRIMARY KEY (`CustomerId` ASC, `Placed` DESC)"},
		{"PostgreSQL dialect", ordersPG, true, "CREATE TABLE \"rev_shadow_orders\" (\n" +
			"  \"customer_id\" bigint NOT NULL,\n  \"code\" character varying(10) NOT NULL,\n" +
			"  \"processed_commit_ts\" timestamptz,\n  \"record_seq\" bigint,\n  PRIMARY KEY (\"customer_id\", \"code\")\n)"},
	}
	for _, tt := range tests {
		got, err := CreateDDL("rev_shadow_", tt.table, tt.pg)
		if err != nil || got != tt.want {
			t.Errorf("%s:\n got %q (%v)\nwant %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := CreateDDL("s_", schema.SpannerTable{Name: "NoKey"}, false); err == nil {
		t.Error("a table without a primary key must be refused")
	}
}

// TestEnsureAndVersionsBothDialects creates shadow tables in a GoogleSQL and
// a PostgreSQL metadata database on the emulator, reuses them on a second
// call, and writes and reads back a version through each.
func TestEnsureAndVersionsBothDialects(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pg    bool
		table schema.SpannerTable
		keys  string
	}{
		{false, orders, `{"CustomerId":"7","Placed":"2024-01-02T03:04:05.123456789Z"}`},
		{true, ordersPG, `{"customer_id":"7","code":"x-1"}`},
	} {
		t.Run(fmt.Sprintf("postgres=%v", tc.pg), func(t *testing.T) {
			id := fmt.Sprintf("shadow%d", time.Now().UnixNano()%1e12)
			path := testenv.CreateDatabase(t, emu, id, tc.pg, nil)
			client, err := spanner.NewClient(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			admin := testenv.DatabaseAdmin(t)
			created, err := Ensure(ctx, admin, client, path, tc.pg, "shadow_", []schema.SpannerTable{tc.table})
			if err != nil || len(created) != 1 {
				t.Fatalf("Ensure: created %v, err %v", created, err)
			}
			if again, err := Ensure(ctx, admin, client, path, tc.pg, "shadow_", []schema.SpannerTable{tc.table}); err != nil || len(again) != 0 {
				t.Fatalf("second Ensure must reuse the table: created %v, err %v", again, err)
			}
			key, err := Key(tc.table, tc.keys)
			if err != nil {
				t.Fatal(err)
			}
			var cols []string
			for _, k := range tc.table.PrimaryKey {
				cols = append(cols, k.Column)
			}
			st := Table{Name: TableName("shadow_", tc.table.Name), KeyColumns: cols}
			v := newer.Version{CommitTs: record.Timestamp{Seconds: 1_700_000_000, Nanos: 123456000}, Seq: 3}
			if _, err := client.Apply(ctx, []*spanner.Mutation{st.Mutation(key, v)}); err != nil {
				t.Fatal(err)
			}
			_, err = client.ReadWriteTransaction(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
				got, err := st.ReadVersions(ctx, tx, []spanner.Key{key})
				if err != nil {
					return err
				}
				if got[key.String()] != v {
					t.Errorf("read back %v for %s, want %v (all: %v)", got[key.String()], key, v, got)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// nullable has a nullable key column of every type a key can have.
var nullable = schema.SpannerTable{Name: "Nullable", Columns: []schema.SpannerColumn{
	{Name: "I", Type: "INT64", Nullable: true}, {Name: "S", Type: "STRING(MAX)", Nullable: true},
	{Name: "B", Type: "BOOL", Nullable: true}, {Name: "F", Type: "FLOAT64", Nullable: true},
	{Name: "F32", Type: "FLOAT32", Nullable: true}, {Name: "Y", Type: "BYTES(MAX)", Nullable: true},
	{Name: "T", Type: "TIMESTAMP", Nullable: true}, {Name: "D", Type: "DATE", Nullable: true},
	{Name: "N", Type: "NUMERIC", Nullable: true},
}, PrimaryKey: []schema.KeyPart{{Column: "I"}, {Column: "S"}, {Column: "B"}, {Column: "F"}, {Column: "F32"},
	{Column: "Y"}, {Column: "T", Desc: true}, {Column: "D"}, {Column: "N"}}}

func TestNullKeyPartsAreTyped(t *testing.T) {
	key, err := Key(nullable, `{"I":null,"S":null,"B":null,"F":null,"F32":null,"Y":null,"T":null,"D":null,"N":null}`)
	if err != nil {
		t.Fatal(err)
	}
	for i, part := range key {
		// The client refuses an untyped nil ("key part has unsupported type <nil>").
		if part == nil {
			t.Errorf("key part %s is an untyped nil", nullable.PrimaryKey[i].Column)
		}
	}
	if got, want := key.String(), "(<null>,<null>,<null>,<null>,<null>,<null>,<null>,<null>,<null>)"; got != want {
		t.Errorf("Key.String() = %s, want %s", got, want)
	}
	ddl, err := CreateDDL("s_", schema.SpannerTable{Name: "P", Columns: []schema.SpannerColumn{
		{Name: "A", Type: "INT64"}, {Name: "B", Type: "INT64", Nullable: true},
	}, PrimaryKey: []schema.KeyPart{{Column: "A"}, {Column: "B"}}}, false)
	want := "CREATE TABLE `s_P` (\n  `A` INT64 NOT NULL,\n  `B` INT64,\n" +
		"  `processed_commit_ts` TIMESTAMP,\n  `record_seq` INT64,\n) PRIMARY KEY (`A` ASC, `B` ASC)"
	if err != nil || ddl != want {
		t.Errorf("shadow DDL of a nullable key column:\n got %q (%v)\nwant %q", ddl, err, want)
	}
}

// TestNullKeysRoundTrip writes and reads back, on the emulator, versions of
// keys with NULL parts of every type: the read must accept the keys and
// find each under the Key.String() the writer computes.
func TestNullKeysRoundTrip(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	id := fmt.Sprintf("nullkeys%d", time.Now().UnixNano()%1e12)
	path := testenv.CreateDatabase(t, emu, id, false, nil)
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := Ensure(ctx, testenv.DatabaseAdmin(t), client, path, false, "shadow_", []schema.SpannerTable{nullable}); err != nil {
		t.Fatal(err)
	}
	keysJSON := []string{
		`{"I":null,"S":null,"B":null,"F":null,"F32":null,"Y":null,"T":null,"D":null,"N":null}`,
		`{"I":"1","S":null,"B":true,"F":null,"F32":1.5,"Y":null,"T":"2024-01-02T03:04:05Z","D":null,"N":"1.5"}`,
		`{"I":null,"S":"a","B":null,"F":2.5,"F32":null,"Y":"AAE=","T":null,"D":"2024-01-02","N":null}`,
	}
	var cols []string
	for _, k := range nullable.PrimaryKey {
		cols = append(cols, k.Column)
	}
	st := Table{Name: TableName("shadow_", nullable.Name), KeyColumns: cols}
	var keys []spanner.Key
	want := map[string]newer.Version{}
	for i, kj := range keysJSON {
		key, err := Key(nullable, kj)
		if err != nil {
			t.Fatal(err)
		}
		v := newer.Version{CommitTs: record.Timestamp{Seconds: 1_700_000_000 + int64(i)}, Seq: int64(i)}
		if _, err := client.Apply(ctx, []*spanner.Mutation{st.Mutation(key, v)}); err != nil {
			t.Fatalf("writing the version of %s: %v", key, err)
		}
		keys = append(keys, key)
		want[key.String()] = v
	}
	_, err = client.ReadWriteTransaction(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		got, err := st.ReadVersions(ctx, tx, keys)
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("read back %v, want %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
