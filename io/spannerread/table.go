package spannerread

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Whole tables at one timestamp, for runMode=verify: a batch read-only
// transaction splits each table into partitions that workers read in
// parallel, every row encoded as a change record would carry it.

// Partition is one partition of a table read, in a serialisable form: the
// batch transaction's id and the partition, both as the client marshals
// them.
type Partition struct {
	Table string
	Txn   []byte
	Part  []byte
}

// Partitions starts a batch read-only transaction at `at` and partitions
// a read of every column of each table. The transaction is left open for
// ReadPartition; it ends when its session expires.
func Partitions(ctx context.Context, c *spanner.Client, at time.Time, tables []schema.SpannerTable) ([]Partition, error) {
	txn, err := c.BatchReadOnlyTransaction(ctx, spanner.ReadTimestamp(at))
	if err != nil {
		return nil, fmt.Errorf("starting a batch read at %s: %w", at.Format(time.RFC3339Nano), err)
	}
	id, err := txn.ID.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var out []Partition
	for _, t := range tables {
		parts, err := txn.PartitionRead(ctx, t.Name, spanner.AllKeys(), columnNames(t), spanner.PartitionOptions{})
		if err != nil {
			return nil, fmt.Errorf("partitioning a read of table %s at %s: %w", t.Name, at.Format(time.RFC3339Nano), err)
		}
		for _, p := range parts {
			b, err := p.MarshalBinary()
			if err != nil {
				return nil, err
			}
			out = append(out, Partition{Table: t.Name, Txn: id, Part: b})
		}
	}
	return out, nil
}

// ReadPartition reads the rows of p, calling fn with each row's keys and
// values in change-stream JSON (values: the non-key columns).
func ReadPartition(ctx context.Context, c *spanner.Client, t schema.SpannerTable, p Partition, fn func(keysJSON, valuesJSON string) error) error {
	var id spanner.BatchReadOnlyTransactionID
	if err := id.UnmarshalBinary(p.Txn); err != nil {
		return fmt.Errorf("table %s: batch transaction id: %w", t.Name, err)
	}
	var part spanner.Partition
	if err := part.UnmarshalBinary(p.Part); err != nil {
		return fmt.Errorf("table %s: partition: %w", t.Name, err)
	}
	txn := c.BatchReadOnlyTransactionFromID(id)
	cols := columnNames(t)
	return txn.Execute(ctx, &part).Do(func(r *spanner.Row) error {
		k, v, err := rowJSON(t, cols, r)
		if err != nil {
			return err
		}
		return fn(k, v)
	})
}

// ReadRowJSON reads one row by its keys (change-stream JSON) at `at`;
// found is false when there is none.
func (r Reader) ReadRowJSON(ctx context.Context, t schema.SpannerTable, keysJSON string, at time.Time) (valuesJSON string, found bool, err error) {
	key, err := keyOf(t, keysJSON)
	if err != nil {
		return "", false, err
	}
	cols := columnNames(t)
	row, err := r.Client.Single().WithTimestampBound(spanner.ReadTimestamp(at)).
		ReadRowWithOptions(ctx, t.Name, key, cols, &spanner.ReadOptions{Priority: r.Priority})
	switch {
	case errors.Is(err, spanner.ErrRowNotFound) || spanner.ErrCode(err) == codes.NotFound:
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading table %s keys %.200s at %s: %w", t.Name, keysJSON, at.Format(time.RFC3339Nano), err)
	}
	_, v, err := rowJSON(t, cols, row)
	return v, err == nil, err
}

func columnNames(t schema.SpannerTable) []string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = c.Name
	}
	return cols
}

// rowJSON encodes a row of all columns as a change record's keys and new
// values, keys in key order and values in table order.
func rowJSON(t schema.SpannerTable, cols []string, r *spanner.Row) (string, string, error) {
	isKey := map[string]bool{}
	for _, k := range t.PrimaryKey {
		isKey[k.Column] = true
	}
	vals := make(map[string]json.RawMessage, len(cols))
	for i, c := range cols {
		var g spanner.GenericColumnValue
		if err := r.Column(i, &g); err != nil {
			return "", "", fmt.Errorf("table %s column %s: %w", t.Name, c, err)
		}
		raw, err := wireJSON(g.Value)
		if err != nil {
			return "", "", fmt.Errorf("table %s column %s: %w", t.Name, c, err)
		}
		vals[c] = raw
	}
	var keys, values bytes.Buffer
	write := func(b *bytes.Buffer, name string) {
		if b.Len() > 0 {
			b.WriteByte(',')
		} else {
			b.WriteByte('{')
		}
		n, _ := json.Marshal(name)
		b.Write(n)
		b.WriteByte(':')
		b.Write(vals[name])
	}
	for _, k := range t.PrimaryKey {
		write(&keys, k.Column)
	}
	for _, c := range cols {
		if !isKey[c] {
			write(&values, c)
		}
	}
	close := func(b *bytes.Buffer) string {
		if b.Len() == 0 {
			return "{}"
		}
		b.WriteByte('}')
		return b.String()
	}
	return close(&keys), close(&values), nil
}
