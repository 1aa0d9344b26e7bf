package apply

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Users has a secondary unique index on Email; Posts references Users with
// ON DELETE CASCADE, so a writer that deletes a user to move it aside
// would lose its posts.

var usersSpanner = schema.Spanner{Dialect: "GOOGLE_STANDARD_SQL", Tables: map[string]schema.SpannerTable{
	"Users": {Name: "Users", Columns: []schema.SpannerColumn{
		{Name: "Id", Type: "INT64"}, {Name: "Email", Type: "STRING(MAX)"}, {Name: "Name", Type: "STRING(MAX)"},
	}, PrimaryKey: []schema.KeyPart{{Column: "Id"}}},
}}

var usersSource = schema.Source{Tables: map[string]schema.SourceTable{
	"Users": {Name: "Users", Columns: []schema.SourceColumn{
		{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)"},
		{Name: "Email", DataType: "varchar", ColumnType: "varchar(50)", MaxLength: 50, Nullable: true},
		{Name: "Name", DataType: "varchar", ColumnType: "varchar(50)", MaxLength: 50, Nullable: true},
	}, PrimaryKey: []string{"Id"}, UniqueKeys: []schema.UniqueKey{{Name: "by_email", Columns: []string{"Email"}}}},
}}

type uniqueFixture struct {
	fixture
}

func newUniqueFixture(t *testing.T) *uniqueFixture {
	t.Helper()
	emu := testenv.Spanner(t)
	db, _ := testenv.MySQL(t)
	for _, st := range []string{
		"CREATE TABLE Users (Id BIGINT PRIMARY KEY, Email VARCHAR(50), Name VARCHAR(50), UNIQUE KEY by_email (Email))",
		"CREATE TABLE Posts (Id BIGINT PRIMARY KEY, UserId BIGINT, FOREIGN KEY (UserId) REFERENCES Users(Id) ON DELETE CASCADE)",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	id := fmt.Sprintf("uniq%d", time.Now().UnixNano()%1e12)
	path := testenv.CreateDatabase(t, emu, id, false, []string{
		"CREATE TABLE shadow_Users (Id INT64 NOT NULL, processed_commit_ts TIMESTAMP, record_seq INT64) PRIMARY KEY (Id)",
	})
	meta, err := spanner.NewClient(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	return &uniqueFixture{fixture{db: db, meta: meta, applier: &Applier{
		Meta: meta, ShadowPrefix: "shadow_", Spanner: usersSpanner,
		Mapper: mapping.Mapper{Spanner: usersSpanner, Source: usersSource, TZ: time.UTC, Values: convert.Values{}}, Target: mysql.Target{},
	}}}
}

// user builds a Users change at (sec, seq); email "" means DELETE.
func user(id, sec int64, seq int, email, name string) record.Record {
	r := record.Record{
		CommitTimestamp: record.Timestamp{Seconds: 1_700_000_000 + sec},
		RecordSequence:  fmt.Sprintf("%08d", seq),
		TableName:       "Users",
		Mod:             record.ModJSON{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, id), OldValuesJSON: "{}", NewValuesJSON: "{}"},
		ModType:         record.ModUpdate,
	}
	if email == "" {
		r.ModType = record.ModDelete
	} else {
		r.Mod.NewValuesJSON = fmt.Sprintf(`{"Email":%q,"Name":%q}`, email, name)
	}
	return r
}

// users returns MySQL's Users as id -> "email/name".
func (f *uniqueFixture) users(t *testing.T) map[int64]string {
	t.Helper()
	rows, err := f.db.Query("SELECT Id, Email, Name FROM Users")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var email, name string
		if err := rows.Scan(&id, &email, &name); err != nil {
			t.Fatal(err)
		}
		out[id] = email + "/" + name
	}
	return out
}

func (f *uniqueFixture) apply(t *testing.T, batch ...record.Record) Outcome {
	t.Helper()
	out, err := f.applier.ApplyIsolating(context.Background(), f.db, batch)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return out
}

func (f *uniqueFixture) want(t *testing.T, want map[int64]string) {
	t.Helper()
	got := f.users(t)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("MySQL Users = %v, want %v", got, want)
	}
}

// onlyClash checks that out failed exactly the record of key id, with a
// retryable error carrying MySQL's duplicate-entry message.
func onlyClash(t *testing.T, out Outcome, id int64) {
	t.Helper()
	if len(out.Failed) != 1 || out.Failed[0].Record.Mod.KeysJSON != fmt.Sprintf(`{"Id":"%d"}`, id) {
		t.Fatalf("failed %v, want only key %d", out.Failed, id)
	}
	err := out.Failed[0].Err
	if failure.Of(err) != failure.Retryable || !mysql.IsDuplicateKey(err) || !strings.Contains(err.Error(), "Duplicate entry") {
		t.Fatalf("clash error %v (class %v), want a retryable error with MySQL's duplicate-entry message", err, failure.Of(err))
	}
}

// Scenario A: t0 insert 1(a); t1 update 1 -> b; t2 insert 2(a). Changes of
// different keys may reach MySQL in any order.
func TestUniqueKeyInsertBeforeTheUpdateThatFreesTheValue(t *testing.T) {
	t0, t1, t2 := user(1, 1, 0, "a", "Alice"), user(1, 2, 0, "b", "Alice"), user(2, 3, 0, "a", "Bob")
	t.Run("separate batches: the clash waits for a retry, nothing merges", func(t *testing.T) {
		f := newUniqueFixture(t)
		f.apply(t, t0)
		out := f.apply(t, t2) // arrives before t1
		onlyClash(t, out, 2)
		f.want(t, map[int64]string{1: "a/Alice"})
		f.apply(t, t1)
		if out := f.apply(t, t2); len(out.Applied) != 1 {
			t.Fatalf("retry of insert 2: %+v", out)
		}
		f.want(t, map[int64]string{1: "b/Alice", 2: "a/Bob"})
	})
	t.Run("one batch in arrival order t2, t1", func(t *testing.T) {
		f := newUniqueFixture(t)
		f.apply(t, t0)
		if out := f.apply(t, t2, t1); len(out.Applied) != 2 || len(out.Failed) != 0 {
			t.Fatalf("outcome %+v, want both applied", out)
		}
		f.want(t, map[int64]string{1: "b/Alice", 2: "a/Bob"})
	})
}

// Scenario B: one batch [insert 3, delete 1 (holding a), insert 2 (a)].
func TestUniqueKeyDeleteFreesTheValueBeforeTheInsertTakesIt(t *testing.T) {
	f := newUniqueFixture(t)
	f.apply(t, user(1, 1, 0, "a", "Alice"))
	out := f.apply(t, user(3, 2, 0, "c", "Carol"), user(1, 3, 0, "", ""), user(2, 4, 0, "a", "Bob"))
	if len(out.Applied) != 3 || len(out.Failed) != 0 {
		t.Fatalf("outcome %+v, want 3 applied", out)
	}
	f.want(t, map[int64]string{2: "a/Bob", 3: "c/Carol"})
}

// Scenario C: one transaction swaps the unique values of two rows; a post
// of user 1 (ON DELETE CASCADE) must survive.
func TestUniqueKeySwapInOneTransaction(t *testing.T) {
	f := newUniqueFixture(t)
	f.apply(t, user(1, 1, 0, "a", "Alice"), user(2, 1, 1, "b", "Bob"))
	if _, err := f.db.Exec("INSERT INTO Posts VALUES (10, 1)"); err != nil {
		t.Fatal(err)
	}
	out := f.apply(t, user(1, 2, 0, "b", "Alice"), user(2, 2, 1, "a", "Bob"))
	if len(out.Applied) != 2 || len(out.Failed) != 0 {
		t.Fatalf("outcome %+v, want both applied", out)
	}
	f.want(t, map[int64]string{1: "b/Alice", 2: "a/Bob"})
	var posts int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM Posts WHERE UserId = 1").Scan(&posts); err != nil || posts != 1 {
		t.Fatalf("posts of user 1: %d (%v), want 1: moving rows aside must not cascade", posts, err)
	}
	var fk int
	if err := f.db.QueryRow("SELECT @@foreign_key_checks").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_key_checks = %d (%v) after the swap, want 1", fk, err)
	}
}

// A value held by a key whose change is not in the batch: only that record
// fails (retryable), the rest of the batch is applied, the holder is
// untouched, and the shadow row of the failed key does not advance.
func TestUniqueKeyClashWithARowOutsideTheBatch(t *testing.T) {
	f := newUniqueFixture(t)
	f.apply(t, user(9, 1, 0, "z", "Zoe"))
	out := f.apply(t, user(4, 2, 0, "d", "Dan"), user(5, 2, 1, "z", "Eve"), user(9, 2, 2, "y", "Zoe"), user(6, 2, 3, "y", "Fay"))
	// 9 frees z (5 can take it) but takes y, which 6 wants in the same
	// transaction at a later sequence: Spanner itself would refuse that,
	// so here 6 clashes with 9's new value and waits.
	onlyClash(t, out, 6)
	f.want(t, map[int64]string{4: "d/Dan", 5: "z/Eve", 9: "y/Zoe"})
	_, err := f.meta.Single().ReadRow(context.Background(), "shadow_Users", spanner.Key{int64(6)}, []string{"processed_commit_ts"})
	if spanner.ErrCode(err) != 5 { // NotFound
		t.Fatalf("shadow row of the clashing key: err %v, want NotFound", err)
	}
	// A second swap pass on a key-only clash with an outside row.
	f.apply(t, user(7, 3, 0, "w", "Wes"))
	out = f.apply(t, user(8, 4, 0, "w", "Ann"))
	onlyClash(t, out, 8)
	f.want(t, map[int64]string{4: "d/Dan", 5: "z/Eve", 7: "w/Wes", 9: "y/Zoe"})
}
