// Package spannerread reads a deleted row back from Spanner. Under NEW_ROW
// capture a DELETE carries only the key, but routing needs the shard-id
// column and mapping may need source key columns that are not Spanner key
// columns; both are in the row as it was just before the delete.
package spannerread

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Lookback is how long before the delete's commit the row is read: the
// newest version before the delete, as in the Java template.
const Lookback = time.Microsecond

var (
	// ErrRowNotFound (severe): the row did not exist just before its delete, so
	// there is nothing to route by; reading again gives the same answer.
	ErrRowNotFound = failure.NewSevere("the deleted row did not exist just before its delete")
	// ErrBeyondRetention (severe): the version before the delete has been garbage
	// collected (the replication lag exceeds version_retention_period).
	ErrBeyondRetention = failure.NewSevere("the row's version before the delete is older than the database's version_retention_period")
)

// Reader reads rows of the change stream's database.
type Reader struct {
	Client   *spanner.Client
	Priority spannerpb.RequestOptions_Priority
}

// RowBefore returns the non-key, non-generated columns of the row with the
// given keys (change-stream JSON) as they were Lookback before commit,
// encoded as the change stream encodes new values, so that the result can
// stand in for the DELETE's empty new values.
func (r Reader) RowBefore(ctx context.Context, t schema.SpannerTable, keysJSON string, commit time.Time) (string, error) {
	isKey := map[string]bool{}
	for _, k := range t.PrimaryKey {
		isKey[k.Column] = true
	}
	var cols []string
	for _, c := range t.Columns {
		if !isKey[c.Name] && !c.Generated {
			cols = append(cols, c.Name)
		}
	}
	if len(cols) == 0 {
		return "{}", nil
	}
	vals, err := r.Columns(ctx, t, keysJSON, commit.Add(-Lookback), cols)
	if err != nil {
		return "", err
	}
	// Written by hand to keep the table's column order.
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, c := range cols {
		name, _ := json.Marshal(c)
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(vals[c])
	}
	buf.WriteByte('}')
	return buf.String(), nil
}

// keyOf builds the Spanner key from the change record's keys. No type
// conversion is needed: the change stream encodes key values as the wire
// protocol does (INT64 as a decimal string, BYTES as base64, ...), and a
// read's key is sent as exactly those wire values, so decoding the JSON to
// string, float64, bool or NULL reproduces them.
func keyOf(t schema.SpannerTable, keysJSON string) (spanner.Key, error) {
	var keys map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(keysJSON)))
	if err := dec.Decode(&keys); err != nil {
		return nil, fmt.Errorf("table %s: keys %.200s are not a JSON object: %w", t.Name, keysJSON, err)
	}
	key := make(spanner.Key, 0, len(t.PrimaryKey))
	for _, k := range t.PrimaryKey {
		v, ok := keys[k.Column]
		if !ok {
			return nil, fmt.Errorf("table %s: keys %.200s lack key column %s", t.Name, keysJSON, k.Column)
		}
		switch v := v.(type) {
		case nil:
			key = append(key, spanner.NullString{})
		case string, float64, bool:
			key = append(key, v)
		default:
			return nil, fmt.Errorf("table %s: key column %s has a %T value, not a key value", t.Name, k.Column, v)
		}
	}
	return key, nil
}
