package faults

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
)

// Spanner has no foreign key, so a test can commit a child before its
// parent; MariaDB has one, as the source of a migration usually does.
var (
	inputFKSpanner = []string{
		`CREATE TABLE Parents (Id INT64 NOT NULL, Name STRING(100)) PRIMARY KEY (Id)`,
		`CREATE TABLE Children (Id INT64 NOT NULL, ParentId INT64, Label STRING(100)) PRIMARY KEY (Id)`,
	}
	inputFKMySQL = []string{
		"CREATE TABLE Parents (Id BIGINT PRIMARY KEY, Name VARCHAR(100)) ENGINE=InnoDB",
		"CREATE TABLE Children (Id BIGINT PRIMARY KEY, ParentId BIGINT, Label VARCHAR(100), " +
			"FOREIGN KEY (ParentId) REFERENCES Parents(Id)) ENGINE=InnoDB",
	}
	inputFKTables = []localenv.Table{{Name: "Parents", Key: []string{"Id"}}, {Name: "Children", Key: []string{"Id"}}}
)

// TestForeignKeyOrder commits, in Spanner, a child before its parent and
// a parent's delete before its child's, for each kind of shard. The
// replica cannot apply either change at first (MySQL 1452, then 1451;
// PostgreSQL's SQLSTATE 23503 both times); both must wait in retry/ and be
// applied once the other change has been, leaving the shard equal to
// Spanner. Each fix is only committed after its failure was seen in
// retry/, so the order of the changes cannot be lost to batching.
func TestForeignKeyOrder(t *testing.T) {
	for _, tt := range []struct {
		target string
		env    func(t *testing.T) *inputEnv
		// What every failure of the child's insert and of the parent's
		// delete says.
		childErrs, parentErrs []string
	}{
		{
			target:     "MySQL",
			env:        func(t *testing.T) *inputEnv { return newInputEnv(t, "fk", inputFKSpanner, inputFKMySQL) },
			childErrs:  []string{"Error 1452"},
			parentErrs: []string{"Error 1451"},
		},
		{
			target:     "PostgreSQL",
			env:        func(t *testing.T) *inputEnv { return newPGInputEnv(t, "pgfk", inputFKSpanner, inputFKPostgreSQL, nil) },
			childErrs:  []string{"SQLSTATE 23503", "violates foreign key constraint"},
			parentErrs: []string{"SQLSTATE 23503"},
		},
	} {
		t.Run(tt.target, func(t *testing.T) {
			e := tt.env(t)
			ctx := context.Background()
			// Rows that exist on both sides before the run, as after the
			// forward migration: parent 2 and its child are deleted during
			// the run.
			pcols, ccols := []string{"Id", "Name"}, []string{"Id", "ParentId", "Label"}
			if _, err := e.client.Apply(ctx, []*spanner.Mutation{
				spanner.Insert("Parents", pcols, []any{int64(2), "p2"}),
				spanner.Insert("Parents", pcols, []any{int64(3), "p3"}),
				spanner.Insert("Children", ccols, []any{int64(2), int64(2), "c2"}),
				spanner.Insert("Children", ccols, []any{int64(3), int64(3), "c3"}),
			}); err != nil {
				t.Fatal(err)
			}
			e.shardExec(t, "INSERT INTO Parents VALUES (2, 'p2'), (3, 'p3')", "INSERT INTO Children VALUES (2, 2, 'c2'), (3, 3, 'c3')")

			start := time.Now()
			const runFor = 30 * time.Second
			retry := inputWatch(e.dlqDir, dlq.RetryDir)
			defer retry.close()
			plan := e.prepare(t, e.values(start, runFor), inputPolls(3*time.Second))

			writes := make(chan error, 1)
			go func() {
				writes <- func() error {
					if _, err := e.client.Apply(ctx, []*spanner.Mutation{
						spanner.Insert("Children", ccols, []any{int64(1), int64(1), "c1"})}); err != nil {
						return err
					}
					if _, err := e.client.Apply(ctx, []*spanner.Mutation{spanner.Delete("Parents", spanner.Key{int64(2)})}); err != nil {
						return err
					}
					// Leave the retries time to succeed before the last
					// poll, which comes right after the end timestamp.
					deadline := start.Add(runFor - 12*time.Second)
					if err := retry.waitFor("Children", `{"Id":"1"}`, deadline); err != nil {
						return err
					}
					if err := retry.waitFor("Parents", `{"Id":"2"}`, deadline); err != nil {
						return err
					}
					return inputApply(ctx, e.client,
						[]*spanner.Mutation{spanner.Insert("Parents", pcols, []any{int64(1), "p1"})},
						[]*spanner.Mutation{spanner.Delete("Children", spanner.Key{int64(2)})},
						// Newer than the insert waiting in retry/: whichever
						// is applied first, this one must win.
						[]*spanner.Mutation{spanner.Update("Children", []string{"Id", "Label"}, []any{int64(1), "c1 renamed"})})
				}()
			}()
			res := testrun.Plan(t, plan)
			if err := <-writes; err != nil {
				t.Fatalf("workload: %v", err)
			}
			retry.close()

			// Every attempt, the retries included, failed for the one reason.
			for _, want := range tt.childErrs {
				inputWantAll(t, "the child inserted before its parent", retry.errors("Children", `{"Id":"1"}`), want)
			}
			for _, want := range tt.parentErrs {
				inputWantAll(t, "the parent deleted before its child", retry.errors("Parents", `{"Id":"2"}`), want)
			}
			if n := testrun.Counter(res, "elementsReconsumedFromDeadLetterQueue"); n < 2 {
				t.Errorf("%d records reconsumed from retry/, want at least the 2 that failed", n)
			}
			if ms := e.compareAll(t, inputFKTables...); len(ms) != 0 {
				t.Errorf("%d mismatches, want none", len(ms))
			}
			for _, sub := range []string{dlq.RetryDir, dlq.SevereDir} {
				for _, l := range e.dlqLines(t, sub) {
					t.Errorf("%s/ still holds %s %s: %s", sub, l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
				}
			}
		})
	}
}

// inputWantAll checks that a record failed, each time, for the expected reason.
func inputWantAll(t *testing.T, what string, errs []string, want string) {
	t.Helper()
	if len(errs) == 0 {
		t.Errorf("%s never went to retry/", what)
	}
	for _, e := range errs {
		if !strings.Contains(e, want) {
			t.Errorf("%s went to retry/ with %q, want %q", what, e, want)
		}
	}
}

func inputApply(ctx context.Context, c *spanner.Client, txs ...[]*spanner.Mutation) error {
	for _, ms := range txs {
		if _, err := c.Apply(ctx, ms); err != nil {
			return err
		}
	}
	return nil
}

// Items' MySQL columns are narrower than Spanner's, and the schema read
// at launch says so. Notes is MyISAM, where a multi-row statement in
// STRICT_TRANS_TABLES mode (MariaDB's default) truncates a too-long value
// in any row but the first with a mere warning; and its column is narrowed
// after the launch, so only MySQL can notice.
var (
	inputBigSpanner = []string{
		`CREATE TABLE Items (Id INT64 NOT NULL, Code STRING(100), Small INT64, Price NUMERIC, Note STRING(MAX)) PRIMARY KEY (Id)`,
		`CREATE TABLE Notes (Id INT64 NOT NULL, Msg STRING(100)) PRIMARY KEY (Id)`,
	}
	inputBigMySQL = []string{
		"CREATE TABLE Items (Id BIGINT PRIMARY KEY, Code VARCHAR(5), Small TINYINT, Price DECIMAL(5,2), Note TEXT) ENGINE=InnoDB",
		"CREATE TABLE Notes (Id BIGINT PRIMARY KEY, Msg VARCHAR(100)) ENGINE=MyISAM",
	}
	inputBigTables = []localenv.Table{{Name: "Items", Key: []string{"Id"}}, {Name: "Notes", Key: []string{"Id"}}}
)

// TestTooLargeValues writes values that do not fit their columns among
// values that do, in the same Spanner transactions, for each kind of
// shard: each misfit must go to severe/ with the reason, and everything
// else be applied. The rows that differ at the end must be exactly the
// severe ones.
func TestTooLargeValues(t *testing.T) {
	for _, tt := range []struct {
		target string
		env    func(t *testing.T) *inputEnv
		// before checks the shard before the run.
		before func(t *testing.T, e *inputEnv)
		// narrow narrows Notes.Msg to 5 characters after the launch.
		narrow string
		// Values of Items.Small: over and under its range, and its limit.
		over, under, limit int64
		// Each misfit: what its severe/ message must hold.
		want map[string][2]string
	}{
		{
			target: "MySQL",
			env:    func(t *testing.T) *inputEnv { return newInputEnv(t, "big", inputBigSpanner, inputBigMySQL) },
			before: func(t *testing.T, e *inputEnv) {
				t.Run("the writer's session is strict", func(t *testing.T) {
					// Whatever the server's sql_mode, MySQL must refuse what
					// it would otherwise store truncated or clamped.
					shards, err := mysql.LoadShards(context.Background(), e.shardFile)
					if err != nil {
						t.Fatal(err)
					}
					db, err := mysql.Open(shards[0], 1)
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					var mode string
					if err := db.QueryRow("SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(mode, "STRICT_ALL_TABLES") {
						t.Errorf("the writer's sql_mode is %q, want STRICT_ALL_TABLES in it", mode)
					}
				})
			},
			narrow: "ALTER TABLE Notes MODIFY Msg VARCHAR(5)",
			over:   300, under: -129, limit: 127,
			want: map[string][2]string{
				`Items {"Id":"2"}`: {`convert column "Code"`, "7 characters exceed the column's 5"},
				`Items {"Id":"3"}`: {`convert column "Small"`, "300 is out of range [-128, 127]"},
				`Items {"Id":"4"}`: {`convert column "Price"`, "does not fit DECIMAL(5,2)"},
				`Items {"Id":"5"}`: {`convert column "Small"`, "-129 is out of range [-128, 127]"},
				`Items {"Id":"7"}`: {`7 characters exceed the column's 5`},
				// Launch saw VARCHAR(100): only MySQL knows, and says so.
				`Notes {"Id":"3"}`: {`Error 1406 (22001): Data too long for column 'Msg'`},
				`Notes {"Id":"4"}`: {`Error 1406 (22001): Data too long for column 'Msg'`},
			},
		},
		{
			target: "PostgreSQL",
			env: func(t *testing.T) *inputEnv {
				return newPGInputEnv(t, "pgbig", inputBigSpanner, inputBigPostgreSQL, nil)
			},
			narrow: "ALTER TABLE Notes ALTER COLUMN Msg TYPE varchar(5)",
			over:   40000, under: -40000, limit: 32767,
			// The column as PostgreSQL names it, then the reason.
			want: map[string][2]string{
				`Items {"Id":"2"}`: {`convert column "code"`, "7 characters do not fit character varying(5) (at most 5)"},
				`Items {"Id":"3"}`: {`convert column "small"`, "Spanner INT64 value \"40000\" into PostgreSQL smallint: 40000 is out of range for int2 (-32768 to 32767)"},
				`Items {"Id":"4"}`: {`convert column "price"`, "is out of range for numeric(5,2)"},
				`Items {"Id":"5"}`: {`convert column "small"`, "-40000 is out of range for int2 (-32768 to 32767)"},
				`Items {"Id":"7"}`: {`convert column "code"`, "7 characters do not fit character varying(5)"},
				// Launch saw varchar(100): only PostgreSQL knows, and says so.
				`Notes {"Id":"3"}`: {"value too long for type character varying(5)", "SQLSTATE 22001"},
				`Notes {"Id":"4"}`: {"value too long for type character varying(5)", "SQLSTATE 22001"},
			},
		},
	} {
		t.Run(tt.target, func(t *testing.T) {
			e := tt.env(t)
			ctx := context.Background()
			if tt.before != nil {
				tt.before(t, e)
			}
			start := time.Now()
			plan := e.prepare(t, e.values(start, 20*time.Second), inputPolls(time.Hour))
			e.shardExec(t, tt.narrow)
			icols := []string{"Id", "Code", "Small", "Price", "Note"}
			item := func(id int64, code string, small int64, price string, note string) *spanner.Mutation {
				p, ok := new(big.Rat).SetString(price)
				if !ok {
					t.Fatalf("price %q", price)
				}
				return spanner.Insert("Items", icols, []any{id, code, small, p, note})
			}
			note := func(id int64, msg string) *spanner.Mutation {
				return spanner.Insert("Notes", []string{"Id", "Msg"}, []any{id, msg})
			}
			writes := make(chan error, 1)
			go func() {
				time.Sleep(time.Second)
				writes <- inputApply(ctx, e.client, []*spanner.Mutation{
					item(1, "a1", 1, "1.5", "fits"),
					item(2, "toolong", 2, "2", "code too long"),
					item(3, "a3", tt.over, "3", "small out of range"),
					item(4, "a4", 4, "1234.5", "price out of range"),
					item(5, "a5", tt.under, "5", "small below range"),
					item(6, "a6", tt.limit, "999.99", "fits at the limits"),
					item(7, "a7", 7, "7", "updated later"),
					// Several fitting rows around the misfit, so that it is
					// rarely the first row of its multi-row statement.
					note(1, "ok"), note(2, "fine"), note(3, "far too long"), note(4, "good"), note(5, "yes"), note(6, "12345"),
					note(7, "a"), note(8, "b"), note(9, "c"), note(10, "d"), note(11, "e"), note(12, "f"),
				}, []*spanner.Mutation{
					spanner.Update("Items", []string{"Id", "Code"}, []any{int64(7), "seventy"}),
					spanner.Update("Items", []string{"Id", "Note"}, []any{int64(1), "fits, updated"}),
					spanner.Update("Notes", []string{"Id", "Msg"}, []any{int64(4), "much too long"}),
					spanner.Update("Notes", []string{"Id", "Msg"}, []any{int64(5), "yes!"}),
				})
			}()
			testrun.Plan(t, plan)
			if err := <-writes; err != nil {
				t.Fatalf("workload: %v", err)
			}

			severe := localenv.DLQByKey(e.dlqLines(t, dlq.SevereDir))
			for k, w := range tt.want {
				l, ok := severe[k]
				switch {
				case !ok:
					t.Errorf("severe/ lacks %s", k)
				case !strings.Contains(l.ErrorMessage, w[0]) || !strings.Contains(l.ErrorMessage, w[1]):
					t.Errorf("severe/ has %s with %q, want %q and %q", k, l.ErrorMessage, w[0], w[1])
				}
			}
			for _, k := range inputSortedKeys(severe) {
				if _, ok := tt.want[k]; !ok {
					t.Errorf("unexpected severe record %s: %s", k, severe[k].ErrorMessage)
				}
			}
			for _, l := range e.dlqLines(t, dlq.RetryDir) {
				t.Errorf("retry/ holds %s %s: %s", l.Message.TableName, l.Message.Mod.KeysJSON, l.ErrorMessage)
			}

			mismatched := map[string]bool{}
			for _, m := range e.compareAll(t, inputBigTables...) {
				mismatched[inputMismatchKey(m)] = true
			}
			if got, wantKeys := strings.Join(inputSortedKeys(mismatched), "; "), strings.Join(inputSortedKeys(tt.want), "; "); got != wantKeys {
				t.Errorf("rows that differ: %s\nwant exactly the severe ones: %s", got, wantKeys)
			}
		})
	}
}
