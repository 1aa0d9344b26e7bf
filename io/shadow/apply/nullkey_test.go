package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// pairTable is a Spanner table keyed (A, B) with B nullable. MySQL cannot
// hold NULL in a primary key, and a UNIQUE key treats NULLs as distinct
// (an upsert of (1, NULL) would insert a second row), so its MySQL table
// is keyed by A alone: the Spanner key may be wider than the source's.
func pairTable(name string) schema.SpannerTable {
	return schema.SpannerTable{Name: name, Columns: []schema.SpannerColumn{
		{Name: "A", Type: "INT64"}, {Name: "B", Type: "INT64", Nullable: true}, {Name: "V", Type: "STRING(MAX)", Nullable: true},
	}, PrimaryKey: []schema.KeyPart{{Column: "A"}, {Column: "B"}}}
}

func pairSource(name string) schema.SourceTable {
	return schema.SourceTable{Name: name, Columns: []schema.SourceColumn{
		{Name: "A", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "B", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
		{Name: "V", DataType: "varchar", ColumnType: "varchar(20)", MaxLength: 20, Nullable: true},
	}, PrimaryKey: []string{"A"}}
}

// newPairsFixture has three such tables: Pairs, whose shadow table is made
// as the pipeline makes it (B nullable); Legacy, whose shadow table an
// older version made with B NOT NULL; and Orphans, without a shadow table.
func newPairsFixture(t *testing.T) *fixture {
	t.Helper()
	emu := testenv.Spanner(t)
	db, _ := testenv.MySQL(t)
	sp := schema.Spanner{Dialect: "GOOGLE_STANDARD_SQL", Tables: map[string]schema.SpannerTable{}}
	src := schema.Source{Tables: map[string]schema.SourceTable{}}
	for _, n := range []string{"Pairs", "Legacy", "Orphans"} {
		sp.Tables[n], src.Tables[n] = pairTable(n), pairSource(n)
		if _, err := db.Exec("CREATE TABLE " + n + " (A BIGINT NOT NULL PRIMARY KEY, B BIGINT NULL, V VARCHAR(20))"); err != nil {
			t.Fatal(err)
		}
	}
	ddl, err := shadow.CreateDDL("shadow_", sp.Tables["Pairs"], false)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("nullkey%d", time.Now().UnixNano()%1e12)
	path := testenv.CreateDatabase(t, emu, id, false, []string{ddl,
		"CREATE TABLE shadow_Legacy (A INT64 NOT NULL, B INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (A, B)",
	})
	meta, err := spanner.NewClient(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	return &fixture{db: db, meta: meta, applier: &Applier{
		Meta: meta, ShadowPrefix: "shadow_", Spanner: sp,
		Mapper: mapping.Mapper{Spanner: sp, Source: src, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{},
	}}
}

// pair builds a change of table: b < 0 is a NULL B; v "" is a DELETE.
func pair(table string, a, b, sec int64, v string) record.Record {
	bj := "null"
	if b >= 0 {
		bj = fmt.Sprintf(`"%d"`, b)
	}
	r := record.Record{
		CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000 + sec},
		RecordSequence:  "00000000",
		TableName:       table,
		Mod:             record.ModJSON{KeysJSON: fmt.Sprintf(`{"A":"%d","B":%s}`, a, bj), OldValuesJSON: "{}", NewValuesJSON: "{}"},
		ModType:         record.ModUpdate,
	}
	if v == "" {
		r.ModType = record.ModDelete
	} else {
		r.Mod.NewValuesJSON = fmt.Sprintf(`{"V":%q}`, v)
	}
	return r
}

// pairs reads a MySQL table as "A/B/V" lines, B "-" for NULL.
func (f *fixture) pairs(t *testing.T, table string) string {
	t.Helper()
	rows, err := f.db.Query("SELECT A, COALESCE(CAST(B AS CHAR), '-'), V FROM " + table + " ORDER BY A")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b, v string
		if err := rows.Scan(&a, &b, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, a+"/"+b+"/"+v)
	}
	return strings.Join(out, " ")
}

// checkNothingLost fails unless every record of batch is applied, older,
// superseded or failed, each once.
func checkNothingLost(t *testing.T, batch []record.Record, out Outcome) {
	t.Helper()
	if n := len(out.Applied) + len(out.Filtered) + out.Stale + out.Superseded + len(out.Failed); n != len(batch) {
		t.Errorf("outcome accounts for %d records of %d: applied %d, stale %d, superseded %d, failed %d",
			n, len(batch), len(out.Applied), out.Stale, out.Superseded, len(out.Failed))
	}
}

func TestNullKeyColumnInsertUpdateDelete(t *testing.T) {
	f := newPairsFixture(t)
	ctx := context.Background()
	steps := []struct {
		batch []record.Record
		want  string
	}{
		{[]record.Record{pair("Pairs", 1, -1, 1, "a"), pair("Pairs", 2, -1, 1, "b"), pair("Pairs", 3, 7, 1, "c")},
			"1/-/a 2/-/b 3/7/c"},
		// An update and a delete of NULL-keyed rows, and an older change of
		// one, which the shadow row (found under its NULL key) refuses.
		{[]record.Record{pair("Pairs", 1, -1, 2, "a2"), pair("Pairs", 2, -1, 2, ""), pair("Pairs", 1, -1, 0, "old")},
			"1/-/a2 3/7/c"},
	}
	for i, st := range steps {
		out, err := f.applier.ApplyIsolating(ctx, f.db, st.batch)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		for _, fl := range out.Failed {
			t.Errorf("batch %d: %s failed: %v", i, fl.Record.Mod.KeysJSON, fl.Err)
		}
		checkNothingLost(t, st.batch, out)
		if got := f.pairs(t, "Pairs"); got != st.want {
			t.Errorf("after batch %d MySQL has %q, want %q", i, got, st.want)
		}
	}
	// The shadow rows of the NULL keys hold the versions applied last.
	row, err := f.meta.Single().ReadRow(ctx, "shadow_Pairs", spanner.Key{int64(2), spanner.NullInt64{}}, []string{"processed_commit_ts"})
	if err != nil {
		t.Fatal(err)
	}
	var ts time.Time
	if err := row.Column(0, &ts); err != nil || ts.Unix() != 1_700_000_002 {
		t.Errorf("shadow version of (2, NULL) = %v (%v), want the delete's", ts, err)
	}
}

// TestRecordFailingInSpannerIsIsolated: records that Spanner refuses (a NULL
// in a shadow table's NOT NULL key column, a table without a shadow table)
// fail alone, with Spanner's reason; the rest of the batch is applied.
func TestRecordFailingInSpannerIsIsolated(t *testing.T) {
	f := newPairsFixture(t)
	ctx := context.Background()
	batch := []record.Record{
		pair("Pairs", 1, -1, 1, "p1"), pair("Legacy", 1, 5, 1, "l1"), pair("Legacy", 2, -1, 1, "l2"),
		pair("Pairs", 2, 3, 1, "p2"), pair("Orphans", 1, 1, 1, "o1"), pair("Pairs", 3, -1, 1, "p3"),
	}
	out, err := f.applier.ApplyIsolating(ctx, f.db, batch)
	if err != nil {
		t.Fatalf("a record's failure failed the batch: %v", err)
	}
	checkNothingLost(t, batch, out)
	failed := map[string]string{}
	for _, fl := range out.Failed {
		failed[fl.Record.TableName+fl.Record.Mod.KeysJSON] = fl.Err.Error()
	}
	want := map[string]string{
		`Legacy{"A":"2","B":null}`: "shadow_Legacy.B",
		`Orphans{"A":"1","B":"1"}`: "shadow_Orphans",
	}
	if len(failed) != len(want) {
		t.Errorf("failed %v, want exactly %v", failed, want)
	}
	for k, reason := range want {
		if !strings.Contains(failed[k], reason) {
			t.Errorf("%s: failure %q, want one naming %s", k, failed[k], reason)
		}
	}
	if got := f.pairs(t, "Pairs"); got != "1/-/p1 2/3/p2 3/-/p3" {
		t.Errorf("Pairs in MySQL: %q", got)
	}
	// The Legacy record with a non-NULL key applied; the refused one's
	// MySQL row may have landed (MySQL commits before Spanner), which is
	// the protocol's "MySQL ahead of the shadow row", re-applied on retry.
	if got := f.pairs(t, "Legacy"); !strings.HasPrefix(got, "1/5/l1") {
		t.Errorf("Legacy in MySQL: %q", got)
	}
}

// TestSplitOnlyForRecordFailures: an error that may be a record's is split
// down to single records, each failing alone; a transient Spanner error of
// the transaction is returned at once, every record failed with it.
func TestSplitOnlyForRecordFailures(t *testing.T) {
	f := newPairsFixture(t)
	ctx := context.Background()
	batch := []record.Record{pair("Pairs", 1, -1, 1, "a"), pair("Pairs", 2, 2, 1, "b"), pair("Pairs", 3, -1, 1, "c")}
	for _, tc := range []struct {
		name      string
		err       error
		wantCalls int
		whole     bool
	}{
		{"unknown error: split to every record", errors.New("injected"), 5, false},
		{"Spanner UNAVAILABLE: whole batch", status.Error(codes.Unavailable, "injected"), 1, true},
		{"Spanner DEADLINE_EXCEEDED: whole batch", fmt.Errorf("wrapped: %w", status.Error(codes.DeadlineExceeded, "injected")), 1, true},
		{"transaction lost (the emulator's ABORTED): whole batch", status.Error(codes.FailedPrecondition, "Invalid transaction ID. Transaction ID must be >= 5"), 1, true},
		{"transaction expired: whole batch", status.Error(codes.NotFound, "Transaction not found: 3"), 1, true},
		{"Spanner FAILED_PRECONDITION of a record: split", status.Error(codes.FailedPrecondition, "Cannot specify a null value for column: s.B"), 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			f.applier.Hooks.AfterShadowRead = func() error { calls++; return tc.err }
			defer func() { f.applier.Hooks.AfterShadowRead = nil }()
			out, err := f.applier.ApplyIsolating(ctx, f.db, batch)
			if tc.whole {
				// Every record comes back failed with the batch's
				// error, for retry/: none is blamed on its own.
				if err == nil || len(out.Failed) != len(batch) || !WholeBatch(ctx, err) {
					t.Errorf("err %v, failed %d; want the error returned and every record failed with it", err, len(out.Failed))
				}
				for _, fl := range out.Failed {
					if fl.Err != err {
						t.Errorf("record %s failed with %v, want the batch's error", fl.Record.Mod.KeysJSON, fl.Err)
					}
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Failed) != len(batch) {
					t.Errorf("failed %d, want every record on its own", len(out.Failed))
				}
				checkNothingLost(t, batch, out)
			}
			if calls != tc.wantCalls {
				t.Errorf("%d transactions, want %d", calls, tc.wantCalls)
			}
		})
	}
}
