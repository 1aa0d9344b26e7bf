package transforms

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow/apply"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// TestFlushNeverFailsTheBundleOnAnError: a batch that fails as a whole
// without being a MySQL connection error (here Spanner UNAVAILABLE) used to
// fail the bundle, which ends the job on prism. Its records must wait in
// retry/ instead, every one of them, and flush must succeed.
func TestFlushNeverFailsTheBundleOnAnError(t *testing.T) {
	emu := testenv.Spanner(t)
	db, _ := testenv.MySQL(t)
	if _, err := db.Exec("CREATE TABLE Items (Id BIGINT PRIMARY KEY, Name VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	path := testenv.CreateDatabase(t, emu, fmt.Sprintf("flush%d", time.Now().UnixNano()%1e12), false, []string{
		"CREATE TABLE shadow_Items (Id INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (Id)",
	})
	ctx := context.Background()
	meta, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	sp := schema.Spanner{Dialect: "GOOGLE_STANDARD_SQL", Tables: map[string]schema.SpannerTable{"Items": {Name: "Items",
		Columns:    []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "Name", Type: "STRING(MAX)"}},
		PrimaryKey: []schema.KeyPart{{Column: "Id"}}}}}
	src := schema.Source{Tables: map[string]schema.SourceTable{"Items": {Name: "Items", Columns: []schema.SourceColumn{
		{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "Name", DataType: "varchar", ColumnType: "varchar(10)", MaxLength: 10, Nullable: true},
	}, PrimaryKey: []string{"Id"}}}}
	applier := &apply.Applier{Meta: meta, ShadowPrefix: "shadow_", Spanner: sp,
		Mapper: mapping.Mapper{Spanner: sp, Source: src, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{}}
	calls := 0
	applier.Hooks.AfterShadowRead = func() error {
		calls++
		return status.Error(codes.Unavailable, "injected: Spanner unavailable")
	}
	root := t.TempDir()
	f := &writeFn{applier: applier, dbs: map[string]*sql.DB{"s1": db}, dead: newDeadLetters(DeadLetterConfig{Root: root}),
		buf: map[string][]record.Record{}}
	for id := 1; id <= 3; id++ {
		f.buf["s1"] = append(f.buf["s1"], record.Record{
			CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000}, RecordSequence: "00000000", TableName: "Items",
			Shard: "s1", ModType: record.ModInsert,
			Mod: record.ModJSON{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, id), NewValuesJSON: `{"Name":"x"}`, OldValuesJSON: "{}"},
		})
	}
	if err := f.flush(ctx, "s1"); err != nil {
		t.Fatalf("flush failed the bundle: %v", err)
	}
	if calls == 0 {
		t.Fatal("the injected failure never happened")
	}
	var lines []string
	err = filepath.WalkDir(filepath.Join(root, dlq.RetryDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		b, err := os.ReadFile(p)
		lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("retry/ holds %d records, want the batch's 3: %q", len(lines), lines)
	}
	for _, l := range lines {
		if !strings.Contains(l, "Spanner unavailable") {
			t.Errorf("retry line without the reason: %s", l)
		}
	}
}
