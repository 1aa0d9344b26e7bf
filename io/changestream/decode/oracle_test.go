package decode_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"cloud.google.com/go/spanner"
	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
)

// The oracle decodes a ChangeRecord value the slow, independent way: the
// Spanner client's own reflective struct decoding, by field name. The fast
// decoder must agree with it.

type oracleRecord struct {
	DataChangeRecord []*struct {
		CommitTimestamp                      spanner.NullTime   `spanner:"commit_timestamp"`
		RecordSequence                       spanner.NullString `spanner:"record_sequence"`
		ServerTransactionID                  spanner.NullString `spanner:"server_transaction_id"`
		IsLastRecordInTransactionInPartition spanner.NullBool   `spanner:"is_last_record_in_transaction_in_partition"`
		TableName                            spanner.NullString `spanner:"table_name"`
		ColumnTypes                          []*struct {
			Name            spanner.NullString `spanner:"name"`
			Type            spanner.NullJSON   `spanner:"type"`
			IsPrimaryKey    spanner.NullBool   `spanner:"is_primary_key"`
			OrdinalPosition spanner.NullInt64  `spanner:"ordinal_position"`
		} `spanner:"column_types"`
		Mods []*struct {
			Keys      spanner.NullJSON `spanner:"keys"`
			NewValues spanner.NullJSON `spanner:"new_values"`
			OldValues spanner.NullJSON `spanner:"old_values"`
		} `spanner:"mods"`
		ModType                         spanner.NullString `spanner:"mod_type"`
		ValueCaptureType                spanner.NullString `spanner:"value_capture_type"`
		NumberOfRecordsInTransaction    spanner.NullInt64  `spanner:"number_of_records_in_transaction"`
		NumberOfPartitionsInTransaction spanner.NullInt64  `spanner:"number_of_partitions_in_transaction"`
		TransactionTag                  spanner.NullString `spanner:"transaction_tag"`
		IsSystemTransaction             spanner.NullBool   `spanner:"is_system_transaction"`
	} `spanner:"data_change_record"`
	HeartbeatRecord []*struct {
		Timestamp spanner.NullTime `spanner:"timestamp"`
	} `spanner:"heartbeat_record"`
	ChildPartitionsRecord []*struct {
		StartTimestamp  spanner.NullTime `spanner:"start_timestamp"`
		ChildPartitions []*struct {
			Token                 spanner.NullString   `spanner:"token"`
			ParentPartitionTokens []spanner.NullString `spanner:"parent_partition_tokens"`
		} `spanner:"child_partitions"`
	} `spanner:"child_partitions_record"`
}

// oracleDecode returns a comparable rendering of what the client decodes.
func oracleDecode(typ *spannerpb.Type, v *structpb.Value) (out []string, err error) {
	// The client panics on a STRUCT value shorter than its type (seen while
	// fuzzing); the fast decoder reads missing fields as NULL instead.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("client decoding panicked: %v", r)
		}
	}()
	row, err := spanner.NewRow([]string{"ChangeRecord"}, []any{spanner.GenericColumnValue{Type: typ, Value: v}})
	if err != nil {
		return nil, err
	}
	var cr struct {
		ChangeRecord []*oracleRecord `spanner:"ChangeRecord"`
	}
	if err := row.ToStructLenient(&cr); err != nil {
		return nil, err
	}
	for _, c := range cr.ChangeRecord {
		if c == nil {
			continue
		}
		for _, d := range c.DataChangeRecord {
			if d == nil || !d.CommitTimestamp.Valid {
				continue
			}
			s := fmt.Sprintf("data %s %q %q %v %q %q %q %d %d %q %v", d.CommitTimestamp.Time.UTC().Format("2006-01-02T15:04:05.999999999Z"),
				d.RecordSequence.StringVal, d.ServerTransactionID.StringVal, d.IsLastRecordInTransactionInPartition.Bool,
				d.TableName.StringVal, d.ModType.StringVal, d.ValueCaptureType.StringVal, d.NumberOfRecordsInTransaction.Int64,
				d.NumberOfPartitionsInTransaction.Int64, d.TransactionTag.StringVal, d.IsSystemTransaction.Bool)
			for _, ct := range d.ColumnTypes {
				if ct != nil {
					s += fmt.Sprintf(" col(%q %s %v %d)", ct.Name.StringVal, canonical(ct.Type), ct.IsPrimaryKey.Bool, ct.OrdinalPosition.Int64)
				}
			}
			for _, m := range d.Mods {
				if m != nil {
					s += fmt.Sprintf(" mod(%s %s %s)", canonical(m.Keys), canonical(m.NewValues), canonical(m.OldValues))
				}
			}
			out = append(out, s)
		}
		for _, h := range c.HeartbeatRecord {
			if h != nil && h.Timestamp.Valid {
				out = append(out, "heartbeat "+h.Timestamp.Time.UTC().Format("2006-01-02T15:04:05.999999999Z"))
			}
		}
		for _, cp := range c.ChildPartitionsRecord {
			if cp == nil || !cp.StartTimestamp.Valid {
				continue
			}
			s := "children " + cp.StartTimestamp.Time.UTC().Format("2006-01-02T15:04:05.999999999Z")
			n := 0
			for _, ch := range cp.ChildPartitions {
				if ch == nil || !ch.Token.Valid {
					continue
				}
				var parents []string
				for _, p := range ch.ParentPartitionTokens {
					if p.Valid {
						parents = append(parents, p.StringVal)
					}
				}
				s += fmt.Sprintf(" %q%q", ch.Token.StringVal, parents)
				n++
			}
			if n > 0 {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// render gives the fast decoder's items in the oracle's form.
func render(items []decode.Item) []string {
	var out []string
	for _, it := range items {
		switch {
		case it.Data != nil:
			d := it.Data
			s := fmt.Sprintf("data %s %q %q %v %q %q %q %d %d %q %v", d.CommitTimestamp.Time().Format("2006-01-02T15:04:05.999999999Z"),
				d.RecordSequence, d.ServerTransactionID, d.IsLastRecordInTransactionInPartition, d.TableName, d.ModType,
				d.ValueCaptureType, d.NumberOfRecordsInTransaction, d.NumberOfPartitionsInTransaction, d.TransactionTag, d.IsSystemTransaction)
			for _, c := range d.ColumnTypes {
				s += fmt.Sprintf(" col(%q %s %v %d)", c.Name, canonicalText(c.TypeJSON), c.IsPrimaryKey, c.OrdinalPosition)
			}
			for _, m := range d.Mods {
				s += fmt.Sprintf(" mod(%s %s %s)", canonicalText(m.KeysJSON), canonicalText(m.NewValuesJSON), canonicalText(m.OldValuesJSON))
			}
			out = append(out, s)
		case len(it.Children) > 0:
			s := "children " + it.ChildrenStart.Format("2006-01-02T15:04:05.999999999Z")
			for _, c := range it.Children {
				s += fmt.Sprintf(" %q%q", c.Token, c.Parents)
			}
			out = append(out, s)
		default:
			out = append(out, "heartbeat "+it.Heartbeat.Format("2006-01-02T15:04:05.999999999Z"))
		}
	}
	return out
}

// canonical renders a decoded JSON value; NULL renders as {} (the
// decoders' shared convention for an absent object).
func canonical(j spanner.NullJSON) string {
	if !j.Valid || j.Value == nil {
		return "{}"
	}
	b, _ := json.Marshal(j.Value)
	return canonicalText(string(b))
}

// canonicalText re-encodes JSON text so that two texts of the same value
// compare equal; text that is not JSON stays as it is.
func canonicalText(s string) string {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "invalid:" + s
	}
	if v == nil {
		return "{}"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sameRendering(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
