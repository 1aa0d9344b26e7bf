package fakespanner

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
)

func str(s string) *structpb.Value   { return structpb.NewStringValue(s) }
func boolean(b bool) *structpb.Value { return structpb.NewBoolValue(b) }
func null() *structpb.Value          { return structpb.NewNullValue() }
func int64v(n int64) *structpb.Value { return str(strconv.FormatInt(n, 10)) }
func list(vs ...*structpb.Value) *structpb.Value {
	return structpb.NewListValue(&structpb.ListValue{Values: vs})
}
func tsv(t time.Time) *structpb.Value { return str(t.UTC().Format(time.RFC3339Nano)) }

// EncodeGoogleSQL encodes items as one ChangeRecord value (an array with
// one element per item), as a GoogleSQL database sends it.
func EncodeGoogleSQL(items ...decode.Item) *structpb.Value {
	var out []*structpb.Value
	for _, it := range items {
		data, hb, ch := list(), list(), list()
		switch {
		case it.Data != nil:
			d := it.Data
			var cols, mods []*structpb.Value
			for _, c := range d.ColumnTypes {
				cols = append(cols, list(str(c.Name), str(c.TypeJSON), boolean(c.IsPrimaryKey), int64v(c.OrdinalPosition)))
			}
			for _, m := range d.Mods {
				mods = append(mods, list(str(m.KeysJSON), str(m.NewValuesJSON), str(m.OldValuesJSON)))
			}
			data = list(list(tsv(d.CommitTimestamp.Time()), str(d.RecordSequence), str(d.ServerTransactionID),
				boolean(d.IsLastRecordInTransactionInPartition), str(d.TableName), list(cols...), list(mods...),
				str(d.ModType), str(d.ValueCaptureType), int64v(d.NumberOfRecordsInTransaction),
				int64v(d.NumberOfPartitionsInTransaction), str(d.TransactionTag), boolean(d.IsSystemTransaction)))
		case len(it.Children) > 0:
			var cs []*structpb.Value
			for _, c := range it.Children {
				var parents []*structpb.Value
				for _, p := range c.Parents {
					parents = append(parents, str(p))
				}
				cs = append(cs, list(str(c.Token), list(parents...)))
			}
			ch = list(list(tsv(it.ChildrenStart), str("00000000"), list(cs...)))
		default:
			hb = list(list(tsv(it.Heartbeat)))
		}
		out = append(out, list(data, hb, ch))
	}
	return list(out...)
}

// EncodePostgres encodes one item as the JSONB text a PostgreSQL-dialect
// database sends.
func EncodePostgres(it decode.Item) string {
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999999-07:00") }
	var v any
	switch {
	case it.Data != nil:
		d := it.Data
		var cols, mods []map[string]any
		for _, c := range d.ColumnTypes {
			cols = append(cols, map[string]any{"name": c.Name, "type": json.RawMessage(c.TypeJSON),
				"is_primary_key": c.IsPrimaryKey, "ordinal_position": c.OrdinalPosition})
		}
		for _, m := range d.Mods {
			mods = append(mods, map[string]any{"keys": json.RawMessage(m.KeysJSON),
				"new_values": json.RawMessage(m.NewValuesJSON), "old_values": json.RawMessage(m.OldValuesJSON)})
		}
		v = map[string]any{"data_change_record": map[string]any{
			"commit_timestamp": ts(d.CommitTimestamp.Time()), "record_sequence": d.RecordSequence,
			"server_transaction_id": d.ServerTransactionID, "is_last_record_in_transaction_in_partition": d.IsLastRecordInTransactionInPartition,
			"table_name": d.TableName, "column_types": cols, "mods": mods, "mod_type": d.ModType,
			"value_capture_type": d.ValueCaptureType, "number_of_records_in_transaction": d.NumberOfRecordsInTransaction,
			"number_of_partitions_in_transaction": d.NumberOfPartitionsInTransaction,
			"transaction_tag":                     d.TransactionTag, "is_system_transaction": d.IsSystemTransaction,
		}}
	case len(it.Children) > 0:
		var cs []map[string]any
		for _, c := range it.Children {
			parents := c.Parents
			if parents == nil {
				parents = []string{}
			}
			cs = append(cs, map[string]any{"token": c.Token, "parent_partition_tokens": parents})
		}
		v = map[string]any{"child_partitions_record": map[string]any{
			"start_timestamp": ts(it.ChildrenStart), "record_sequence": "00000000", "child_partitions": cs}}
	default:
		v = map[string]any{"heartbeat_record": map[string]any{"timestamp": ts(it.Heartbeat)}}
	}
	// Spanner does not escape <, > and & the way json.Marshal does.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only values built above: cannot fail
	}
	return strings.TrimSuffix(b.String(), "\n")
}
