package localenv

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"
)

// The sample schema used by the local environment (make local-env) and the
// end-to-end test: one table with the common types, tracked by a NEW_ROW
// change stream. Its home is sample/spanner.sql, sample/mysql.sql and
// sample/postgresql.sql.
var (
	//go:embed sample/spanner.sql
	SampleSpannerFile string
	//go:embed sample/mysql.sql
	SampleMySQLFile string
	//go:embed sample/postgresql.sql
	SamplePostgreSQLFile string

	SampleSpannerDDL = SplitDDL(SampleSpannerFile)
	// SampleMySQLDDL is the sample's one MySQL statement.
	SampleMySQLDDL = SplitDDL(SampleMySQLFile)[0]
	// SamplePostgreSQLDDL is the sample's one PostgreSQL statement.
	SamplePostgreSQLDDL = SplitDDL(SamplePostgreSQLFile)[0]
)

// SampleStream is the change stream of the sample schema.
const SampleStream = "allstream"

// WriteSampleWorkload inserts n singers, updates some, deletes some and
// re-inserts one deleted key, one transaction per step, pausing between
// steps. Judge the result by comparing with Spanner (CompareSingers).
func WriteSampleWorkload(ctx context.Context, c *spanner.Client, n int64, pause time.Duration) error {
	cols := []string{"SingerId", "FirstName", "Active", "Score", "Born", "UpdatedAt"}
	var steps [][]*spanner.Mutation
	for i := int64(1); i <= n; i++ {
		steps = append(steps, []*spanner.Mutation{spanner.Insert("Singers", cols, []any{
			i, fmt.Sprintf("singer-%d", i), i%2 == 0, float64(i) * 1.5,
			civil.Date{Year: 1980, Month: time.Month(1 + i%12), Day: 2}, time.Date(2024, 2, 2, 20, 0, int(i%60), 0, time.UTC),
		})})
	}
	for i := int64(2); i <= n; i += 5 {
		steps = append(steps,
			[]*spanner.Mutation{spanner.Update("Singers", []string{"SingerId", "FirstName", "Score"}, []any{i, "renamed", nil})},
			[]*spanner.Mutation{spanner.Update("Singers", []string{"SingerId", "Active"}, []any{i + 1, true})})
	}
	for i := int64(4); i <= n; i += 5 {
		steps = append(steps, []*spanner.Mutation{spanner.Delete("Singers", spanner.Key{i})})
	}
	for i := int64(5); i <= n; i += 5 {
		steps = append(steps, []*spanner.Mutation{spanner.Delete("Singers", spanner.Key{i})})
	}
	steps = append(steps, []*spanner.Mutation{spanner.InsertOrUpdate("Singers", []string{"SingerId", "FirstName"}, []any{int64(2), "twice renamed"})})
	for _, m := range steps {
		if _, err := c.Apply(ctx, m); err != nil {
			return err
		}
		time.Sleep(pause)
	}
	return nil
}

// Singer is one row of the sample table in comparable form.
type Singer struct {
	ID        int64
	FirstName sql.NullString
	Active    sql.NullBool
	Score     sql.NullFloat64
	Born      sql.NullString
	UpdatedAt sql.NullString // "YYYY-MM-DD HH:MM:SS.ffffff" UTC
}

// SpannerSingers reads the sample table from Spanner.
func SpannerSingers(ctx context.Context, c *spanner.Client) ([]Singer, error) {
	var out []Singer
	err := c.Single().Query(ctx, spanner.Statement{SQL: `SELECT SingerId, FirstName, Active, Score,
		CAST(Born AS STRING), FORMAT_TIMESTAMP('%F %H:%M:%E6S', UpdatedAt, 'UTC') FROM Singers ORDER BY SingerId`}).Do(func(r *spanner.Row) error {
		var s Singer
		var name, born, upd spanner.NullString
		var active spanner.NullBool
		var score spanner.NullFloat64
		if err := r.Columns(&s.ID, &name, &active, &score, &born, &upd); err != nil {
			return err
		}
		s.FirstName = sql.NullString{String: name.StringVal, Valid: name.Valid}
		s.Active = sql.NullBool{Bool: active.Bool, Valid: active.Valid}
		s.Score = sql.NullFloat64{Float64: score.Float64, Valid: score.Valid}
		s.Born = sql.NullString{String: born.StringVal, Valid: born.Valid}
		s.UpdatedAt = sql.NullString{String: upd.StringVal, Valid: upd.Valid}
		out = append(out, s)
		return nil
	})
	return out, err
}

// MySQLSingers reads the sample table from MySQL.
func MySQLSingers(ctx context.Context, db *sql.DB) ([]Singer, error) {
	rows, err := db.QueryContext(ctx, "SELECT SingerId, FirstName, Active, Score, Born, UpdatedAt FROM Singers ORDER BY SingerId")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Singer
	for rows.Next() {
		var s Singer
		if err := rows.Scan(&s.ID, &s.FirstName, &s.Active, &s.Score, &s.Born, &s.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PostgreSQLSingers reads the sample table from PostgreSQL
// (sample/postgresql.sql), in the forms MySQLSingers reads.
func PostgreSQLSingers(ctx context.Context, db *sql.DB) ([]Singer, error) {
	rows, err := db.QueryContext(ctx, `SELECT SingerId, FirstName, Active, Score, Born::text,
		to_char(UpdatedAt, 'YYYY-MM-DD HH24:MI:SS.US') FROM Singers ORDER BY SingerId`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Singer
	for rows.Next() {
		var s Singer
		if err := rows.Scan(&s.ID, &s.FirstName, &s.Active, &s.Score, &s.Born, &s.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CompareSingers lists every primary key whose row differs between Spanner
// and MySQL (missing on either side included), and the Spanner row count.
func CompareSingers(ctx context.Context, c *spanner.Client, db *sql.DB) (mismatches []string, rows int, err error) {
	return compareSingers(ctx, c, "MySQL", func() ([]Singer, error) { return MySQLSingers(ctx, db) })
}

// CompareSingersPostgreSQL is CompareSingers for a PostgreSQL shard.
func CompareSingersPostgreSQL(ctx context.Context, c *spanner.Client, db *sql.DB) (mismatches []string, rows int, err error) {
	return compareSingers(ctx, c, "PostgreSQL", func() ([]Singer, error) { return PostgreSQLSingers(ctx, db) })
}

func compareSingers(ctx context.Context, c *spanner.Client, target string, read func() ([]Singer, error)) (mismatches []string, rows int, err error) {
	want, err := SpannerSingers(ctx, c)
	if err != nil {
		return nil, 0, fmt.Errorf("reading Spanner: %w", err)
	}
	got, err := read()
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", target, err)
	}
	g := map[int64]Singer{}
	for _, s := range got {
		g[s.ID] = s
	}
	for _, w := range want {
		s, ok := g[w.ID]
		switch {
		case !ok:
			mismatches = append(mismatches, fmt.Sprintf("SingerId %d: missing in %s (Spanner: %+v)", w.ID, target, w))
		case s != w:
			mismatches = append(mismatches, fmt.Sprintf("SingerId %d: %s %+v, Spanner %+v", w.ID, target, s, w))
		}
		delete(g, w.ID)
	}
	for id := range g {
		mismatches = append(mismatches, fmt.Sprintf("SingerId %d: in %s but not in Spanner", id, target))
	}
	return mismatches, len(want), nil
}
