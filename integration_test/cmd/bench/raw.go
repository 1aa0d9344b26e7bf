package main

import (
	"context"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
)

// rawCeiling writes the same kind of rows with plain multi-row upserts in
// one MySQL transaction per batch: what MySQL alone allows, without the
// shadow check. Rows are mapped before the clock starts.
func (e *env) rawCeiling(ctx context.Context, size, n int) (float64, error) {
	recs := e.records(n)
	var cols, keys []string
	rows := make([][]any, n)
	for i, r := range recs {
		row, err := e.applier.Mapper.ToSource(r)
		if err != nil {
			return 0, err
		}
		cols, keys, rows[i] = row.Columns, row.KeyColumns, row.Values
	}
	start := time.Now()
	for i := 0; i < n; i += size {
		st, err := dml.Upsert("Bench", cols, keys, rows[i:min(n, i+size)])
		if err != nil {
			return 0, err
		}
		tx, err := e.db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("raw upsert: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
