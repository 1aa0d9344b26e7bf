package changestream

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
)

// PostgreSQL-dialect databases return each record as one JSONB object with a
// single key naming the record kind.
type pgRecord struct {
	DataChangeRecord *struct {
		CommitTimestamp                      string            `json:"commit_timestamp"`
		RecordSequence                       string            `json:"record_sequence"`
		ServerTransactionID                  string            `json:"server_transaction_id"`
		IsLastRecordInTransactionInPartition bool              `json:"is_last_record_in_transaction_in_partition"`
		TableName                            string            `json:"table_name"`
		ColumnTypes                          []json.RawMessage `json:"column_types"`
		Mods                                 []struct {
			Keys      json.RawMessage `json:"keys"`
			NewValues json.RawMessage `json:"new_values"`
			OldValues json.RawMessage `json:"old_values"`
		} `json:"mods"`
		ModType                         string      `json:"mod_type"`
		ValueCaptureType                string      `json:"value_capture_type"`
		NumberOfRecordsInTransaction    json.Number `json:"number_of_records_in_transaction"`
		NumberOfPartitionsInTransaction json.Number `json:"number_of_partitions_in_transaction"`
		TransactionTag                  string      `json:"transaction_tag"`
		IsSystemTransaction             bool        `json:"is_system_transaction"`
	} `json:"data_change_record"`
	HeartbeatRecord *struct {
		Timestamp string `json:"timestamp"`
	} `json:"heartbeat_record"`
	ChildPartitionsRecord *struct {
		StartTimestamp  string `json:"start_timestamp"`
		ChildPartitions []struct {
			Token                 string   `json:"token"`
			ParentPartitionTokens []string `json:"parent_partition_tokens"`
		} `json:"child_partitions"`
	} `json:"child_partitions_record"`
}

type pgColumnType struct {
	Name            string          `json:"name"`
	Type            json.RawMessage `json:"type"`
	IsPrimaryKey    bool            `json:"is_primary_key"`
	OrdinalPosition json.Number     `json:"ordinal_position"`
}

func decodePostgresRow(row *spanner.Row, token string) ([]Item, error) {
	var j spanner.PGJsonB
	if err := row.Column(0, &j); err != nil {
		return nil, fmt.Errorf("decoding change record: %w", err)
	}
	if !j.Valid {
		return nil, nil
	}
	// Re-encode then decode with our struct: PGJsonB decodes into any.
	raw, err := json.Marshal(j.Value)
	if err != nil {
		return nil, err
	}
	return decodePostgresJSON(raw, token)
}

// decodePostgresJSON decodes one JSONB change record.
func decodePostgresJSON(raw []byte, token string) ([]Item, error) {
	var r pgRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decoding change record %s: %w", truncate(raw), err)
	}
	switch {
	case r.DataChangeRecord != nil:
		d := r.DataChangeRecord
		ts, err := parsePGTime(d.CommitTimestamp)
		if err != nil {
			return nil, err
		}
		dcr := &record.DataChangeRecord{
			PartitionToken: token, CommitTimestamp: record.FromTime(ts),
			RecordSequence: d.RecordSequence, ServerTransactionID: d.ServerTransactionID,
			IsLastRecordInTransactionInPartition: d.IsLastRecordInTransactionInPartition,
			TableName:                            d.TableName, ModType: d.ModType, ValueCaptureType: d.ValueCaptureType,
			TransactionTag: d.TransactionTag, IsSystemTransaction: d.IsSystemTransaction,
		}
		dcr.NumberOfRecordsInTransaction, _ = strconv.ParseInt(d.NumberOfRecordsInTransaction.String(), 10, 64)
		dcr.NumberOfPartitionsInTransaction, _ = strconv.ParseInt(d.NumberOfPartitionsInTransaction.String(), 10, 64)
		for _, c := range d.ColumnTypes {
			var ct pgColumnType
			if err := json.Unmarshal(c, &ct); err != nil {
				return nil, fmt.Errorf("column type %s: %w", truncate(c), err)
			}
			pos, _ := strconv.ParseInt(ct.OrdinalPosition.String(), 10, 64)
			dcr.ColumnTypes = append(dcr.ColumnTypes, record.ColumnType{
				Name: ct.Name, TypeJSON: string(ct.Type), IsPrimaryKey: ct.IsPrimaryKey, OrdinalPosition: pos})
		}
		for _, m := range d.Mods {
			dcr.Mods = append(dcr.Mods, record.ModJSON{
				KeysJSON: objectText(m.Keys), NewValuesJSON: objectText(m.NewValues), OldValuesJSON: objectText(m.OldValues)})
		}
		return []Item{{Data: dcr}}, nil
	case r.HeartbeatRecord != nil:
		ts, err := parsePGTime(r.HeartbeatRecord.Timestamp)
		if err != nil {
			return nil, err
		}
		return []Item{{Heartbeat: ts}}, nil
	case r.ChildPartitionsRecord != nil:
		ts, err := parsePGTime(r.ChildPartitionsRecord.StartTimestamp)
		if err != nil {
			return nil, err
		}
		it := Item{ChildrenStart: ts}
		for _, c := range r.ChildPartitionsRecord.ChildPartitions {
			it.Children = append(it.Children, ChildPartition{Token: c.Token, Parents: c.ParentPartitionTokens})
		}
		return []Item{it}, nil
	}
	// An unknown record kind: newer Spanner versions may add some; skipping
	// keeps the reader forward-compatible.
	return nil, nil
}

func objectText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	return string(raw)
}

func parsePGTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("change record timestamp %q: %w", s, err)
	}
	return t.UTC(), nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
