package transforms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// fakeRows is a RowReader answering from fixed rows, counting reads. A
// deleted row it does not know did not exist.
type fakeRows struct {
	before map[string]string // keys JSON -> row before the delete
	cols   map[string]json.RawMessage
	err    error
	reads  int
	at     time.Time
}

func (f *fakeRows) RowBefore(_ context.Context, t schema.SpannerTable, keys string, commit time.Time) (string, error) {
	f.reads++
	f.at = commit
	if f.err != nil {
		return "", f.err
	}
	if r, ok := f.before[keys]; ok {
		return r, nil
	}
	return "", fmt.Errorf("table %s keys %s: %w", t.Name, keys, spannerread.ErrRowNotFound)
}

func (f *fakeRows) Columns(_ context.Context, _ schema.SpannerTable, _ string, at time.Time, cols []string) (map[string]json.RawMessage, error) {
	f.reads++
	f.at = at
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]json.RawMessage{}
	for _, c := range cols {
		out[c] = f.cols[c]
	}
	return out, nil
}

// Orders: the MySQL key (order_no) is a Spanner non-key column, and
// Spanner's Label is generated. Singers is routed by its shard column;
// Audit is not at the source.
var completeSpanner = schema.Spanner{Tables: map[string]schema.SpannerTable{
	"Orders": {Name: "Orders", Columns: []schema.SpannerColumn{
		{Name: "Id", Type: "INT64"}, {Name: "OrderNo", Type: "STRING(20)"}, {Name: "Label", Type: "STRING(30)", Generated: true},
	}, PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
	"Singers": {Name: "Singers", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "shard", Type: "STRING(20)"}},
		PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
	"Audit": {Name: "Audit", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "Note", Type: "STRING(20)"}},
		PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
}}

var completeSource = schema.Source{Tables: map[string]schema.SourceTable{
	"orders": {Name: "orders", Columns: []schema.SourceColumn{
		{Name: "id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "order_no", DataType: "varchar", ColumnType: "varchar(20)", MaxLength: 20},
		{Name: "label", DataType: "varchar", ColumnType: "varchar(30)", MaxLength: 30},
	}, PrimaryKey: []string{"order_no"}},
	"Singers": {Name: "Singers", Columns: []schema.SourceColumn{
		{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "shard", DataType: "varchar", ColumnType: "varchar(20)", MaxLength: 20},
	}, PrimaryKey: []string{"Id"}},
}}

var completeNames = mapping.Names{Tables: map[string]mapping.TableNames{
	"Orders": {Source: "orders", Columns: map[string]string{"Id": "id", "OrderNo": "order_no", "Label": "label"}},
}}

var completeTables = routing.StaticTables{ShardIDColumns: map[string]string{"Singers": "shard"}, SourceTables: map[string]bool{"Orders": true, "Singers": true}}

func changeOf(table, mod, keys, vals string) record.Record {
	return record.Record{TableName: table, ModType: mod, CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000, Nanos: 5000},
		RecordSequence: "00000001", Mod: record.ModJSON{KeysJSON: keys, NewValuesJSON: vals}}
}

// newCompleteFn is a set-up completion stage reading from rows.
func newCompleteFn(t *testing.T, cfg CompleteConfig, rows RowReader) *completeFn {
	t.Helper()
	cfg.Spanner, cfg.Source, cfg.Names, cfg.Tables = completeSpanner, completeSource, completeNames, completeTables
	if cfg.DLQ.Root == "" {
		cfg.DLQ.Root = t.TempDir()
	}
	cfg.DLQ.SkipDir = "skip"
	f := &completeFn{CompleteConfig: cfg, rows: rows}
	if err := f.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Teardown)
	return f
}

// TestComplete: one rule for what a record lacks, from the mapping (rows
// of deletes the source key needs, generated columns), the transformation
// (every deleted row) and routing (the row of a routed delete).
func TestComplete(t *testing.T) {
	commit := time.Unix(1_700_000_000, 5000).UTC()
	full := `{"OrderNo":"A-1","Label":"x"}`
	tests := []struct {
		name    string
		cfg     CompleteConfig
		rec     record.Record
		rows    *fakeRows
		want    string // NewValuesJSON afterwards
		reads   int
		wantErr string
	}{
		{name: "keys-only delete gets the row the source key needs", rec: changeOf("Orders", "DELETE", `{"Id":"7"}`, "{}"),
			rows: &fakeRows{before: map[string]string{`{"Id":"7"}`: full}}, want: full, reads: 1},
		{name: "delete read before stays", rec: changeOf("Orders", "DELETE", `{"Id":"7"}`, `{"OrderNo":"A-1"}`),
			want: `{"OrderNo":"A-1"}`},
		{name: "insert gets its generated column at the commit", rec: changeOf("Orders", "INSERT", `{"Id":"7"}`, `{"OrderNo":"A-1"}`),
			rows: &fakeRows{cols: map[string]json.RawMessage{"Label": json.RawMessage(`"gen"`)}},
			want: `{"Label":"gen","OrderNo":"A-1"}`, reads: 1},
		{name: "read failure", rec: changeOf("Orders", "DELETE", `{"Id":"7"}`, "{}"), rows: &fakeRows{err: errors.New("too old")},
			wantErr: "reading the deleted row back from Spanner: too old", reads: 1},
		{name: "single shard, no transformation: a delete keyed like the source is not read",
			rec: changeOf("Singers", "DELETE", `{"Id":"2"}`, "{}"), want: "{}"},
		{name: "a transformation wants every deleted row", cfg: CompleteConfig{Transform: true},
			rec: changeOf("Singers", "DELETE", `{"Id":"2"}`, "{}"), rows: &fakeRows{before: map[string]string{`{"Id":"2"}`: `{"shard":"s1"}`}},
			want: `{"shard":"s1"}`, reads: 1},
		{name: "routing reads a deleted row back", cfg: CompleteConfig{Routing: true},
			rec: changeOf("Singers", "DELETE", `{"Id":"2"}`, "{}"), rows: &fakeRows{before: map[string]string{`{"Id":"2"}`: `{"shard":"s1"}`}},
			want: `{"shard":"s1"}`, reads: 1},
		{name: "routing: a delete read before (from the DLQ) is not read again", cfg: CompleteConfig{Routing: true},
			rec: changeOf("Singers", "DELETE", `{"Id":"3"}`, `{"shard":"s1"}`), want: `{"shard":"s1"}`},
		{name: "routing: deleted row gone from version retention", cfg: CompleteConfig{Routing: true},
			rec: changeOf("Singers", "DELETE", `{"Id":"4"}`, "{}"), rows: &fakeRows{err: spannerread.ErrBeyondRetention},
			wantErr: "version_retention_period", reads: 1},
		{name: "routing: deleted row never existed", cfg: CompleteConfig{Routing: true},
			rec: changeOf("Singers", "DELETE", `{"Id":"5"}`, "{}"), wantErr: "did not exist", reads: 1},
		{name: "routing: table not at the source, no read", cfg: CompleteConfig{Routing: true},
			rec: changeOf("Audit", "DELETE", `{"Id":"8"}`, "{}"), want: "{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := tt.rows
			if rows == nil {
				rows = &fakeRows{}
			}
			f := newCompleteFn(t, tt.cfg, rows)
			r := tt.rec
			err := f.complete(context.Background(), &r)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case r.Mod.NewValuesJSON != tt.want:
				t.Errorf("new values %s, want %s", r.Mod.NewValuesJSON, tt.want)
			}
			if rows.reads != tt.reads || (tt.reads > 0 && !rows.at.Equal(commit)) {
				t.Errorf("reads %d at %v, want %d at %v", rows.reads, rows.at, tt.reads, commit)
			}
		})
	}
}

// TestCompleteFilesWhatItCannotComplete: a record that cannot be completed
// goes to the DLQ (severe: the row is gone for good) and, when it came from
// a DLQ file, is reported done for the file's deletion; the others go on.
func TestCompleteFilesWhatItCannotComplete(t *testing.T) {
	ctx := context.Background()
	rows := &fakeRows{before: map[string]string{`{"Id":"2"}`: `{"shard":"s1"}`}}
	f := newCompleteFn(t, CompleteConfig{Routing: true}, rows)
	var out []record.Record
	emit := func(r record.Record) { out = append(out, r) }
	done := map[string][]int64{}
	report := func(_ beam.EventTime, read string, c FileCount) { done[read] = append(done[read], c.Done...) }
	gone := changeOf("Singers", "DELETE", `{"Id":"5"}`, "{}")
	gone.Origin, gone.OriginIndex = "read1", 3
	for _, r := range []record.Record{changeOf("Singers", "DELETE", `{"Id":"2"}`, "{}"), gone} {
		if err := f.ProcessElement(ctx, r, emit, report); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.FinishBundle(ctx, emit, report); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Mod.NewValuesJSON != `{"shard":"s1"}` {
		t.Errorf("emitted %+v, want the completed delete of Id 2", out)
	}
	if fmt.Sprint(done) != fmt.Sprint(map[string][]int64{"read1": {3}}) {
		t.Errorf("reported %v done, want read1 once", done)
	}
	lines := dlqLines(t, f.DLQ.Root)
	if len(lines["severe"]) != 1 || len(lines) != 1 {
		t.Fatalf("DLQ %v, want one line in severe/", lines)
	}
	rec, msg, err := dlq.Decode([]byte(lines["severe"][0]))
	if err != nil || rec.Mod.KeysJSON != `{"Id":"5"}` || !strings.Contains(msg, "did not exist") {
		t.Errorf("DLQ line of keys %s with message %q (%v)", rec.Mod.KeysJSON, msg, err)
	}
}
