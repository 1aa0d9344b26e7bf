package main

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// shadowCeiling measures what the emulator allows for the writer's Spanner
// side alone: per batch of size fresh keys, one read-write transaction on
// the metadata database, with no target in it, that does what the writer's
// transaction does on Spanner (io/shadow/apply, steps 1, 4, 6 and 7):
// reads the shadow rows of the batch with the writer's locking read
// (shadow.Table.ReadVersions), reads one of them again (the step-4
// re-check: one locking read of one key, done here with the same
// function), and buffers the batch's new versions (shadow.Table.Mutation)
// for the commit. The keys and versions come from records made as the
// writer measurements make theirs, through shadow.Key, so the statements
// are the writer's. It returns records per second over n records.
func (e *env) shadowCeiling(ctx context.Context, size, n int) (float64, error) {
	t := benchSpanner.Tables["Bench"]
	table := shadow.Table{Name: shadow.TableName(e.applier.ShadowPrefix, t.Name), KeyColumns: []string{"Id"}}
	recs := e.records(n)
	keys := make([]spanner.Key, n)
	versions := make([]newer.Version, n)
	for i, r := range recs {
		k, err := shadow.Key(t, r.Mod.KeysJSON)
		if err != nil {
			return 0, err
		}
		seq, err := r.Sequence()
		if err != nil {
			return 0, err
		}
		keys[i], versions[i] = k, newer.Version{CommitTs: r.CommitTimestamp, Seq: seq}
	}
	start := time.Now()
	for i := 0; i < n; i += size {
		ks, vs := keys[i:min(n, i+size)], versions[i:min(n, i+size)]
		_, err := e.meta.ReadWriteTransactionWithOptions(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
			if _, err := table.ReadVersions(ctx, tx, ks); err != nil {
				return err
			}
			if _, err := table.ReadVersions(ctx, tx, ks[:1]); err != nil {
				return err
			}
			muts := make([]*spanner.Mutation, len(ks))
			for j := range ks {
				muts[j] = table.Mutation(ks[j], vs[j])
			}
			return tx.BufferWrite(muts)
		}, spanner.TransactionOptions{CommitPriority: e.applier.Priority})
		if err != nil {
			return 0, fmt.Errorf("shadow ceiling, batch size %d: %w", size, err)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
