package integration_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// TestReadDeletedRow reads deleted rows back as a DELETE's routing does:
// the values come in the change stream's encoding, keys of every kind are
// sent right, and a row that never existed is a severe error.
func TestReadDeletedRow(t *testing.T) {
	emu := testenv.Spanner(t)
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, emu, "stale"+suffix, false, []string{
		`CREATE TABLE Things (Region STRING(10) NOT NULL, Id INT64 NOT NULL, Raw BYTES(10) NOT NULL, Name STRING(MAX),
			Shard STRING(50), Score FLOAT64, Amount NUMERIC, Meta JSON, Seen TIMESTAMP, Born DATE, Ok BOOL,
			Tags ARRAY<INT64>, NameLen INT64 AS (CHAR_LENGTH(Name)) STORED) PRIMARY KEY (Region, Id, Raw)`,
	})
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	cols := []string{"Region", "Id", "Raw", "Name", "Shard", "Score", "Amount", "Meta", "Seen", "Born", "Ok", "Tags"}
	_, err = client.Apply(ctx, []*spanner.Mutation{spanner.Insert("Things", cols, []any{
		"eu", int64(-7), []byte{0, 1, 2}, "x", "shard2", 1.5, spanner.NullNumeric{}, spanner.NullJSON{Value: map[string]any{"a": 1}, Valid: true},
		time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), spanner.NullDate{}, true, []int64{1, 2},
	})})
	if err != nil {
		t.Fatal(err)
	}
	del, err := client.Apply(ctx, []*spanner.Mutation{spanner.Delete("Things", spanner.Key{"eu", int64(-7), []byte{0, 1, 2}})})
	if err != nil {
		t.Fatal(err)
	}
	table := schema.SpannerTable{Name: "Things", PrimaryKey: []schema.KeyPart{{Column: "Region"}, {Column: "Id"}, {Column: "Raw"}}}
	for _, c := range cols {
		table.Columns = append(table.Columns, schema.SpannerColumn{Name: c})
	}
	table.Columns = append(table.Columns, schema.SpannerColumn{Name: "NameLen", Generated: true})
	r := spannerread.Reader{Client: client}

	// The change stream's own encoding of the keys: INT64 as a string,
	// BYTES as base64.
	keys := `{"Region":"eu","Id":"-7","Raw":"AAEC"}`
	got, err := r.RowBefore(ctx, table, keys, del)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Name":"x","Shard":"shard2","Score":1.5,"Amount":null,"Meta":"{\"a\":1}","Seen":"2024-01-02T03:04:05Z","Born":null,"Ok":true,"Tags":["1","2"]}`
	if got != want {
		t.Errorf("RowBefore =\n%s\nwant\n%s", got, want)
	}

	_, err = r.RowBefore(ctx, table, `{"Region":"eu","Id":"8","Raw":"AAEC"}`, del)
	if !errors.Is(err, spannerread.ErrRowNotFound) || failure.Of(err) != failure.Severe {
		t.Errorf("missing row: %v (class %v), want ErrRowNotFound, severe", err, failure.Of(err))
	}
	_, err = r.RowBefore(ctx, table, `{"Region":"eu","Id":"-7"}`, del)
	if err == nil || err.Error() != `table Things: keys {"Region":"eu","Id":"-7"} lack key column Raw` {
		t.Errorf("incomplete keys: %v", err)
	}
	// The emulator keeps versions for an hour, as Spanner does by default.
	_, err = r.RowBefore(ctx, table, keys, del.Add(-3*time.Hour))
	if !errors.Is(err, spannerread.ErrBeyondRetention) || failure.Of(err) != failure.Severe {
		t.Errorf("read beyond version retention: %v (class %v), want ErrBeyondRetention, severe", err, failure.Of(err))
	}
}
