package apply

// Order and session-state cases of the unique-key writer, each found by an
// adversarial review and failing on the first version of unique.go.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	mysqldrv "github.com/go-sql-driver/mysql"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// change builds a change of table at (sec, seq); newValues "" means DELETE.
func change(table, keys string, sec int64, seq int, newValues string) record.Record {
	r := record.Record{
		CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000 + sec},
		RecordSequence:  fmt.Sprintf("%08d", seq),
		TableName:       table,
		Mod:             record.ModJSON{KeysJSON: keys, OldValuesJSON: "{}", NewValuesJSON: "{}"},
		ModType:         record.ModUpdate,
	}
	if newValues == "" {
		r.ModType = record.ModDelete
	} else {
		r.Mod.NewValuesJSON = newValues
	}
	return r
}

// One Spanner transaction moves kid 10 from parent 1 to parent 2, then
// deletes parent 1. In arrival (commit) order MySQL never cascades. The
// writer runs every delete first: DELETE Parents 1 cascades to kid 10 and to
// its toy 100 (a row no change of the batch touches); the kid's upsert puts
// the kid back, but the toy is gone for good.
func TestDeletesKeepArrivalOrderAcrossTables(t *testing.T) {
	emu := testenv.Spanner(t)
	db, _ := testenv.MySQL(t)
	for _, st := range []string{
		"CREATE TABLE Parents (Id BIGINT PRIMARY KEY)",
		"CREATE TABLE Kids (Id BIGINT PRIMARY KEY, ParentId BIGINT, FOREIGN KEY (ParentId) REFERENCES Parents(Id) ON DELETE CASCADE)",
		"CREATE TABLE Toys (Id BIGINT PRIMARY KEY, KidId BIGINT, FOREIGN KEY (KidId) REFERENCES Kids(Id) ON DELETE CASCADE)",
		"INSERT INTO Parents VALUES (1), (2)",
		"INSERT INTO Kids VALUES (10, 1)",
		"INSERT INTO Toys VALUES (100, 10)",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	sp := schema.Spanner{Dialect: "GOOGLE_STANDARD_SQL", Tables: map[string]schema.SpannerTable{
		"Parents": {Name: "Parents", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}}, PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
		"Kids": {Name: "Kids", Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "ParentId", Type: "INT64"}},
			PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
	}}
	src := schema.Source{Tables: map[string]schema.SourceTable{
		"Parents": {Name: "Parents", Columns: []schema.SourceColumn{{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"}}, PrimaryKey: []string{"Id"}},
		"Kids": {Name: "Kids", Columns: []schema.SourceColumn{
			{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"},
			{Name: "ParentId", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
		}, PrimaryKey: []string{"Id"}},
	}}
	path := testenv.CreateDatabase(t, emu, fmt.Sprintf("rev%d", time.Now().UnixNano()%1e12), false, []string{
		"CREATE TABLE shadow_Parents (Id INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (Id)",
		"CREATE TABLE shadow_Kids (Id INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (Id)",
	})
	meta, err := spanner.NewClient(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	a := &Applier{Meta: meta, ShadowPrefix: "shadow_", Spanner: sp, Mapper: mapping.Mapper{Spanner: sp, Source: src, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{}}
	out, err := a.ApplyIsolating(context.Background(), db, []record.Record{
		change("Kids", `{"Id":"10"}`, 2, 0, `{"ParentId":"2"}`),
		change("Parents", `{"Id":"1"}`, 2, 1, ""),
	})
	if err != nil || len(out.Applied) != 2 {
		t.Fatalf("outcome %+v, err %v; want both applied", out, err)
	}
	var kids, toys int
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM Kids WHERE ParentId = 2), (SELECT COUNT(*) FROM Toys)").Scan(&kids, &toys); err != nil {
		t.Fatal(err)
	}
	if kids != 1 || toys != 1 {
		t.Fatalf("kids of parent 2: %d, toys: %d; want 1 and 1 (the delete ran before the move and cascaded)", kids, toys)
	}
}

// One transaction swaps the emails of users 1 and 2; in the same batch an
// unrelated user 5 wants email z, still held by user 9 whose change has not
// arrived. The swap does not depend on 5, but the stuck set {1, 2, 5} is
// re-inserted all or nothing, so 5's clash sends the swap to retry/ too (and
// if the two halves of the swap are retried in different batches they never
// apply).
func TestUniqueKeySwapSurvivesAnUnrelatedClash(t *testing.T) {
	f := newUniqueFixture(t)
	f.apply(t, user(1, 1, 0, "a", "Alice"), user(2, 1, 1, "b", "Bob"), user(9, 1, 2, "z", "Zoe"))
	out := f.apply(t, user(1, 2, 0, "b", "Alice"), user(2, 2, 1, "a", "Bob"), user(5, 3, 0, "z", "Eve"))
	onlyClash(t, out, 5)
	f.want(t, map[int64]string{1: "b/Alice", 2: "a/Bob", 9: "z/Zoe"})
}

// One transaction swaps the emails of users 1 and 2; the batch also holds a
// record MySQL refuses (a CHECK constraint of the MySQL table). The refusal fails the
// whole Apply with a BatchError, ApplyIsolating splits the batch, the two
// halves of the swap land in different sub-batches and each clashes: the
// swap goes to retry/ because of an unrelated bad record.
func TestUniqueKeySwapSurvivesABadRecordInItsBatch(t *testing.T) {
	f := newUniqueFixture(t)
	if _, err := f.db.Exec("ALTER TABLE Users ADD CONSTRAINT no_bad CHECK (Name <> 'bad')"); err != nil {
		t.Fatal(err)
	}
	f.apply(t, user(1, 1, 0, "a", "Alice"), user(2, 1, 1, "b", "Bob"))
	out := f.apply(t, user(1, 2, 0, "b", "Alice"), user(2, 2, 1, "a", "Bob"), user(3, 3, 0, "c", "bad"))
	for _, fl := range out.Failed {
		t.Logf("failed %s: %v", fl.Record.Mod.KeysJSON, fl.Err)
	}
	if len(out.Failed) != 1 || out.Failed[0].Record.Mod.KeysJSON != `{"Id":"3"}` {
		t.Errorf("failed %d records, want only key 3", len(out.Failed))
	}
	f.want(t, map[int64]string{1: "b/Alice", 2: "a/Bob"})
}

// cancellingConnector wraps the MySQL driver; once it has seen the
// statement that turns foreign-key checks off, it cancels the context the
// writer runs under (a bundle cancelled or timed out at that moment).
type cancellingConnector struct {
	driver.Connector
	mu     sync.Mutex
	cancel context.CancelFunc
	fired  bool // cancel was called after foreign_key_checks = 0
}

func (c *cancellingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cancellingConn{Conn: conn, c: c}, nil
}

type cancellingConn struct {
	driver.Conn
	c *cancellingConnector
}

func (w *cancellingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	res, err := w.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
	if q == "SET SESSION foreign_key_checks = 0" { // io/target/mysql's fkChecksOff
		w.c.mu.Lock()
		if w.c.cancel != nil {
			w.c.cancel()
			w.c.fired = true
		}
		w.c.mu.Unlock()
	}
	return res, err
}

func (w *cancellingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return w.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (w *cancellingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return w.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (w *cancellingConn) ResetSession(ctx context.Context) error {
	return w.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (w *cancellingConn) IsValid() bool { return w.Conn.(driver.Validator).IsValid() }

// A swap is moved aside with foreign_key_checks = 0. If the context ends
// right after that statement, the restore runs with the cancelled context
// and fails, database/sql rolls back and keeps the connection (the driver
// can reset sessions), and the pooled connection keeps
// foreign_key_checks = 0 for every later batch.
func TestUniqueKeyCancelledSwapRestoresForeignKeyChecks(t *testing.T) {
	f := newUniqueFixture(t)
	f.apply(t, user(1, 1, 0, "a", "Alice"), user(2, 1, 1, "b", "Bob"))
	_, dsn := testenv.MySQL(t)
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = f.dbName(t)
	base, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cc := &cancellingConnector{Connector: base}
	db := sql.OpenDB(cc)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	cc.cancel = cancel
	_, err = f.applier.Apply(ctx, db, []record.Record{user(1, 2, 0, "b", "Alice"), user(2, 2, 1, "a", "Bob")})
	cc.mu.Lock()
	fired := cc.fired
	cc.cancel = nil
	cc.mu.Unlock()
	if !fired {
		t.Fatalf("apply: %v; the swap path never set foreign_key_checks = 0, the test proves nothing", err)
	}
	// database/sql rolls the transaction back when its context ends, so the
	// statement after the cancellation reports either the cancellation or
	// the transaction that is no longer there, whichever comes first; a
	// speculation's swap runs beside the shadow read, which may be the one
	// to see the cancellation (the Spanner client's CANCELED).
	if !errors.Is(err, context.Canceled) && !errors.Is(err, sql.ErrTxDone) && spanner.ErrCode(err) != codes.Canceled {
		t.Fatalf("apply: %v, want the cancellation", err)
	}
	var fk int
	if err := db.QueryRow("SELECT @@SESSION.foreign_key_checks").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if fk != 1 {
		t.Fatalf("pooled connection has foreign_key_checks = %d after a cancelled swap, want 1", fk)
	}
}

func (f *uniqueFixture) dbName(t *testing.T) string {
	t.Helper()
	var name string
	if err := f.db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// A hook that only observes (returns nil) must not change the outcome: the
// writer returns the hook's result in place of the clashes, so a record
// MySQL refused is reported Applied and its shadow row advances.
func TestAfterMySQLCommitHookKeepsClashes(t *testing.T) {
	f := newUniqueFixture(t)
	f.apply(t, user(9, 1, 0, "z", "Zoe"))
	f.applier.Hooks.AfterMySQLCommit = func() error { return nil }
	out := f.apply(t, user(5, 2, 0, "z", "Eve"))
	onlyClash(t, out, 5)
}
