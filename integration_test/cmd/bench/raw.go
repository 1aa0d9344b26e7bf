package main

import (
	"context"
	"fmt"
	"time"
)

// rawCeiling writes the same kind of rows with plain multi-row upserts in
// one target transaction per batch: what the target alone allows, without the
// shadow check. Rows are mapped before the clock starts.
func (e *env) rawCeiling(ctx context.Context, size, n int) (float64, error) {
	recs := e.records(n)
	var table string
	var cols, keys []string
	rows := make([][]any, n)
	for i, r := range recs {
		row, err := e.applier.Mapper.ToSource(r)
		if err != nil {
			return 0, err
		}
		table, cols, keys, rows[i] = row.Table, row.Columns, row.KeyColumns, row.Values
	}
	start := time.Now()
	for i := 0; i < n; i += size {
		q, args, err := e.upsert(table, cols, keys, rows[i:min(n, i+size)])
		if err != nil {
			return 0, err
		}
		tx, err := e.check.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("raw upsert: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
