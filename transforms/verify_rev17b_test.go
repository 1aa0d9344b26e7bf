package transforms

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"cloud.google.com/go/spanner"
	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/spannerread"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// recheckSettle is a settleFn whose recheck reads table of shard s1 in db.
func recheckSettle(t target.Target, db *sql.DB, src schema.Source) *settleFn {
	return &settleFn{
		exp:   &expecter{cfg: VerifyConfig{Source: src}},
		pools: &shardPools{t: t, dbs: map[string]*sql.DB{"s1": db}},
	}
}

// joinKeys reads every row of table as readTargetFn does and returns the
// join keys it emits.
func joinKeys(t *testing.T, f *settleFn, table schema.SourceTable) []verify.Key {
	t.Helper()
	var keys []verify.Key
	err := f.pools.t.Scanner().ReadRange(context.Background(), f.pools.dbs["s1"], table, target.KeyRange{}, func(r verify.Row) error {
		k, ok := verify.KeyOf("s1", table.Name, target.WrittenKey(table), r)
		if !ok {
			t.Fatalf("row %v lacks a key column", r)
		}
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestRecheckFindsADoubleKey (review rev17b): a MySQL DOUBLE key's
// canonical form keeps 15 significant digits, so the join key of a row
// whose key needs 16 or 17 (0.1+0.2 = 0.30000000000000004, 2/3) binds
// back as another double, and the recheck's point read (readTarget) finds
// no row. A key rechecked because the regular job's watermark had not
// passed T then compares Spanner with "no row": a row that is extra in the
// target (Spanner has none) compares equal and is counted in_flight, a
// false "mismatches: 0"; a different row is reported missing.
func TestRecheckFindsADoubleKey(t *testing.T) {
	db, dsn := testenv.MySQL(t)
	ctx := context.Background()
	if _, err := db.Exec("CREATE TABLE Floats (Id DOUBLE NOT NULL PRIMARY KEY, Name VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO Floats VALUES (0.1e0 + 0.2e0, 'a'), (2e0 / 3e0, 'b'), (1.5e0, 'c'), (-1e300 / 3e0, 'd')"); err != nil {
		t.Fatal(err)
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	src, err := mysql.ReadSchema(ctx, db, cfg.DBName)
	if err != nil {
		t.Fatal(err)
	}
	f := recheckSettle(mysql.Target{}, db, src)
	keys := joinKeys(t, f, src.Tables["Floats"])
	if len(keys) != 4 {
		t.Fatalf("read %d rows, want 4", len(keys))
	}
	for _, k := range keys {
		got, err := f.readTarget(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil {
			t.Errorf("the recheck finds no row for key %v, which the join read: an extra row compares equal to Spanner's none", k.PK)
			continue
		}
		if back, _ := verify.KeyOf("s1", "Floats", []string{"Id"}, *got); back.String() != k.String() {
			t.Errorf("the recheck of key %v read the row of key %v", k.PK, back.PK)
		}
	}
}

// TestRecheckFindsAKeyWithAGeneratedColumn (review rev17b): the writer
// binds a primary key without the columns the target generates (a
// PostgreSQL stored generated column, a MySQL 8 STORED one), and so does
// the join; the recheck's point read gave those values as the whole
// primary key, and failed ("key range bound has 1 values for 2 key
// columns"): every key in flight on such a table failed the verification.
func TestRecheckFindsAKeyWithAGeneratedColumn(t *testing.T) {
	d := testenv.PostgreSQL(t)
	ctx := context.Background()
	if _, err := d.DB.Exec(`CREATE TABLE gen (a int NOT NULL, b int NOT NULL, g int GENERATED ALWAYS AS (b * 2) STORED, PRIMARY KEY (a, g))`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DB.Exec(`INSERT INTO gen (a, b) VALUES (1, 5), (2, 6)`); err != nil {
		t.Fatal(err)
	}
	src, err := postgresql.ReadSchema(ctx, d.DB, "public")
	if err != nil {
		t.Fatal(err)
	}
	f := recheckSettle(postgresql.Target{}, d.DB, src)
	keys := joinKeys(t, f, src.Tables["gen"])
	if len(keys) != 2 || len(keys[0].PK) != 1 {
		t.Fatalf("join keys %v, want two of one column (a)", keys)
	}
	for _, k := range keys {
		got, err := f.readTarget(ctx, k)
		if err != nil {
			t.Fatalf("recheck of key %v: %v", k.PK, err)
		}
		if got == nil {
			t.Errorf("the recheck finds no row for key %v", k.PK)
			continue
		}
		if v, _ := got.Get("a"); v != k.PK[0] {
			t.Errorf("the recheck of key %v read a = %v", k.PK, v)
		}
	}
}

// TestFilteredRowsThatDoNotMapAreNotAmbiguous (review rev17b): a row the
// custom transformation filters is mapped without it only to find its
// key; when that plain mapping fails (a value only the transformation
// makes fit, here a Note too long for CHAR(5)), expect gave the row the
// join key of its shard alone (no table, no key values), so every such
// row of a shard shared one join key, and two of them made an
// "ambiguous" mismatch of rows the writer never writes.
func TestFilteredRowsThatDoNotMapAreNotAmbiguous(t *testing.T) {
	ctx := context.Background()
	e := testExpecter(true)
	groups := map[string][]Expected{}
	for _, id := range []string{"13", "15"} {
		k, exp, kind, err := e.expect(ctx, "Items", `{"Id":"`+id+`"}`, `{"Name":"s1","Note":"toolong"}`)
		if kind == "" {
			if !exp.Filtered {
				t.Fatalf("row %s: not filtered (%v)", id, err)
			}
			groups[k.String()] = append(groups[k.String()], exp)
		}
	}
	for key, exps := range groups {
		i := 0
		next := func(x *Expected) bool {
			if i == len(exps) {
				return false
			}
			*x, i = exps[i], i+1
			return true
		}
		f := &compareFn{}
		err := f.ProcessElement(ctx, beam.EventTime(0), key, next, func(*verify.Row) bool { return false }, func(c Candidate) {
			t.Errorf("filtered rows compared under join key %s: %s (%v)", key, c.Outcome, c.SpannerKeys)
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// noRowTarget is a target whose shards hold no rows.
type noRowTarget struct{ target.Target }

func (noRowTarget) Scanner() target.Scanner { return noRowScanner{} }

type noRowScanner struct{ target.Scanner }

func (noRowScanner) ReadKey(context.Context, *sql.DB, schema.SourceTable, []verify.Value, func(verify.Row) error) error {
	return nil
}

// TestWatermarkAtTheReadTimestampIsInFlight (review rev17b): the applied
// watermark W says every change committed before W is applied; one
// committed at W may not be. Spanner read at T = W shows a change
// committed at T, so a key that differs then may be in flight, but the
// first decision took only W < T as "may be in flight" and reported it
// at once. (W = T is what a user gets by passing the watermark they read
// as verifyTimestamp.) Here the key, read again, has no row on either
// side: in flight, not a mismatch.
func TestWatermarkAtTheReadTimestampIsInFlight(t *testing.T) {
	at := time.Now().Add(-time.Minute).UTC()
	src := schema.Source{Tables: map[string]schema.SourceTable{"items": {Name: "items", PrimaryKey: []string{"Id"},
		Columns: []schema.SourceColumn{{Name: "Id", DataType: "bigint", ColumnType: "bigint"}}}}}
	f := &settleFn{VerifyConfig: VerifyConfig{At: at, RecheckWait: time.Nanosecond},
		exp:    &expecter{cfg: VerifyConfig{Source: src}},
		pools:  &shardPools{t: noRowTarget{}, dbs: map[string]*sql.DB{"s1": nil}},
		hasJob: true, watermark: at, read: true}
	k := verify.Key{Shard: "s1", Table: "items", PK: []verify.Value{verify.Text("1")}}
	c := Candidate{Key: k.String(), Outcome: string(verify.Extra), HasGot: false}
	if err := f.ProcessElement(context.Background(), beam.EventTime(0), c, nil); err != nil {
		t.Fatal(err)
	}
	if len(f.lines) != 0 {
		t.Errorf("a difference at T with the applied watermark at T was reported at once: %s", f.lines[0])
	}
}

// TestExtraRowWithATimestampKeyFindsItsShadowRow (review rev17b): a row
// in the target that Spanner lacks at T is in flight when its shadow row
// holds a change after T (a row inserted after T and applied). That
// shadow row is found by the row's Spanner key, rebuilt from the target's
// key; a TIMESTAMP key was refused ("depends on the source's time zone"),
// though the zone is the job's sourceDbTimezoneOffset. So every row
// inserted after T into a table keyed by a timestamp (an event log) was a
// false "extra" on a live system: no shadow row, no recheck of Spanner.
// The rebuilt key must hash, in a shard's shadow table, as the writer's
// key from the change record does.
func TestExtraRowWithATimestampKeyFindsItsShadowRow(t *testing.T) {
	sp := schema.Spanner{Tables: map[string]schema.SpannerTable{"Events": {Name: "Events", PrimaryKey: []schema.KeyPart{{Column: "Id"}, {Column: "At"}},
		Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "At", Type: "TIMESTAMP"}, {Name: "Name", Type: "STRING(20)"}}}}}
	tz := time.FixedZone("+02:00", 7200)
	for _, tt := range []struct {
		name    string
		target  target.Target
		colType string
		stored  string
	}{
		{"MySQL DATETIME(6)", mysql.Target{}, "datetime(6)", "2024-05-01 12:00:00.5"},
		{"MySQL TIMESTAMP(3)", mysql.Target{}, "timestamp(3)", "2024-05-01 12:00:00.5"},
		{"PostgreSQL timestamptz", postgresql.Target{}, "timestamp with time zone", "2024-05-01 10:00:00.5+00"},
		{"PostgreSQL timestamp", postgresql.Target{}, "timestamp without time zone", "2024-05-01 12:00:00.5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dataType := strings.Fields(tt.colType)[0]
			if i := strings.IndexByte(dataType, '('); i > 0 {
				dataType = dataType[:i]
			}
			src := schema.Source{Tables: map[string]schema.SourceTable{"events": {Name: "events", PrimaryKey: []string{"Id", "At"}, Columns: []schema.SourceColumn{
				{Name: "Id", DataType: "bigint", ColumnType: "bigint"}, {Name: "At", DataType: dataType, ColumnType: tt.colType},
				{Name: "Name", DataType: "varchar", ColumnType: "varchar(20)", MaxLength: 20}}}}}
			names := mapping.Names{Tables: map[string]mapping.TableNames{"Events": {Source: "events"}}}
			e := &expecter{cfg: VerifyConfig{Spanner: sp, Source: src, Names: names, TimezoneOffset: "+02:00"}, scanner: tt.target.Scanner(),
				spannerOf: map[string][]string{"events": {"Events"}},
				mapper:    &mapping.Mapper{Spanner: sp, Source: src, Names: names, TZ: tz, Values: tt.target.Values()}}
			k := verify.Key{Shard: "s1", Table: "events", PK: []verify.Value{verify.Text("7"), verify.Text(tt.stored)}}
			row := verify.Row{Columns: []string{"Id", "At", "Name"}, Values: []verify.Value{verify.Text("7"), verify.Text(tt.stored), verify.Text("x")}}
			table, keys, ok, exact := e.spannerKey(k, row)
			if !ok {
				t.Fatalf("no Spanner key rebuilt from the target's key %v: the extra row's shadow row is never read", k.PK)
			}
			if exact {
				t.Errorf("a TIMESTAMP key rebuilt from %s counts as exact: a repair would delete by it", tt.stored)
			}
			rebuilt, err := shadow.Key(sp.Tables[table], keys)
			if err != nil {
				t.Fatal(err)
			}
			// The writer's key, from the change record of the insert.
			written, err := shadow.Key(sp.Tables["Events"], `{"Id":"7","At":"2024-05-01T10:00:00.500000Z"}`)
			if err != nil {
				t.Fatal(err)
			}
			a, errA := shadow.SourceKey(rebuilt)
			b, errB := shadow.SourceKey(written)
			if errA != nil || errB != nil || string(a.ID) != string(b.ID) || rebuilt.String() != written.String() {
				t.Errorf("rebuilt key %s (%s) is not the writer's %s", keys, rebuilt, written)
			}
		})
	}
}

// TestNoStrayDeleteOfARowSpannerCannotMap (review rev17b): a Spanner row
// the writer cannot map (a Name too long for the shard's column: its
// change went to severe/) is counted unmappable, and is not on the
// Spanner side of the join, so the shard's row of that key (the last
// version the writer could write) shows as extra. The repair then found
// the Spanner row and took the target's row for a stray copy of a key
// that belongs elsewhere: a stray delete, applied whatever the shadow row
// says. It removed a row of the shard the key belongs to, which Spanner
// still holds. Such a key gets no repair: its Spanner row is not
// writable until the severe/ record is fixed.
func TestNoStrayDeleteOfARowSpannerCannotMap(t *testing.T) {
	emu := testenv.Spanner(t)
	path := testenv.CreateDatabase(t, emu, fmt.Sprintf("vunmap%d", time.Now().UnixNano()%1e12), false, []string{
		"CREATE TABLE Items (Id INT64 NOT NULL, Name STRING(MAX)) PRIMARY KEY (Id)",
	})
	ctx := context.Background()
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Apply(ctx, []*spanner.Mutation{spanner.Insert("Items", []string{"Id", "Name"}, []any{int64(1), "far too long for the column"})}); err != nil {
		t.Fatal(err)
	}
	sp := schema.Spanner{Tables: map[string]schema.SpannerTable{"Items": {Name: "Items", PrimaryKey: []schema.KeyPart{{Column: "Id"}},
		Columns: []schema.SpannerColumn{{Name: "Id", Type: "INT64"}, {Name: "Name", Type: "STRING(MAX)"}}}}}
	src := schema.Source{Tables: map[string]schema.SourceTable{"items": {Name: "items", PrimaryKey: []string{"Id"}, Columns: []schema.SourceColumn{
		{Name: "Id", DataType: "bigint", ColumnType: "bigint"}, {Name: "Name", DataType: "varchar", ColumnType: "varchar(5)", MaxLength: 5}}}}}
	names := mapping.Names{Tables: map[string]mapping.TableNames{"Items": {Source: "items"}}}
	cfg := VerifyConfig{Spanner: sp, Source: src, Names: names, Single: "s1", Repair: true}
	f := &settleFn{VerifyConfig: cfg, reader: spannerread.Reader{Client: client},
		exp: &expecter{cfg: cfg, scanner: mysql.Target{}.Scanner(), spannerOf: map[string][]string{"items": {"Items"}},
			mapper: &mapping.Mapper{Spanner: sp, Source: src, Names: names, TZ: time.UTC, Values: mysql.Target{}.Values()}}}
	if _, _, kind, _ := f.exp.expect(ctx, "Items", `{"Id":"1"}`, `{"Name":"far too long for the column"}`); kind != verify.Unmappable {
		t.Fatalf("the Spanner row maps (kind %q): the test needs one that does not", kind)
	}
	k := verify.Key{Shard: "s1", Table: "items", PK: []verify.Value{verify.Text("1")}}
	if err := f.report(ctx, beam.EventTime(0), k, verify.Extra, nil, Expected{}, false, "Items", `{"Id":"1"}`, true, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	if len(f.lines) != 1 {
		t.Errorf("mismatch lines %q, want the extra key", f.lines)
	}
	for _, l := range f.fixes {
		t.Errorf("a repair for the shard's row of a key whose Spanner row cannot be mapped: %s", l)
	}
}

// TestSettleHoldsBoundedMismatches (review rev17b): settle kept every
// mismatch line (and every repair) of a bundle in memory until the bundle
// ended. A bundle is as large as the runner makes it, and a shard that
// lost a table has a mismatch per row: one worker held them all. Lines
// are written out once a bounded number has gathered.
func TestSettleHoldsBoundedMismatches(t *testing.T) {
	f := &settleFn{VerifyConfig: VerifyConfig{Out: t.TempDir() + "/"}}
	ctx := context.Background()
	most := 0
	for i := 0; i < 30000; i++ {
		k := verify.Key{Shard: "s1", Table: "items", PK: []verify.Value{verify.Text(fmt.Sprint(i))}}
		if err := f.ProcessElement(ctx, beam.EventTime(0), Candidate{Key: k.String(), Outcome: string(verify.Ambiguous)}, nil); err != nil {
			t.Fatal(err)
		}
		most = max(most, len(f.lines))
	}
	if most > 10000 {
		t.Errorf("settle held %d mismatch lines of one bundle in memory", most)
	}
}
