package shadow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/transforms/plan"
	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
	"github.com/revrepl/spanner-to-sourcedb/transforms/schema"
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
			v := plan.Version{CommitTs: record.Timestamp{Seconds: 1_700_000_000, Nanos: 123456000}, Seq: 3}
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
