package decode

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// PostgreSQL-dialect databases return each record of spanner.read_json_<stream>
// as one JSONB object with a single key naming the record kind. Values keep
// the GoogleSQL encodings (INT64 as strings), while mods are nested objects
// rather than JSON text.
type pgRecord struct {
	DataChangeRecord *struct {
		CommitTimestamp                      string `json:"commit_timestamp"`
		RecordSequence                       string `json:"record_sequence"`
		ServerTransactionID                  string `json:"server_transaction_id"`
		IsLastRecordInTransactionInPartition bool   `json:"is_last_record_in_transaction_in_partition"`
		TableName                            string `json:"table_name"`
		ColumnTypes                          []struct {
			Name            string          `json:"name"`
			Type            json.RawMessage `json:"type"`
			IsPrimaryKey    bool            `json:"is_primary_key"`
			OrdinalPosition json.Number     `json:"ordinal_position"`
		} `json:"column_types"`
		Mods []struct {
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

// Postgres decodes one JSONB change record of a PostgreSQL-dialect
// database. token is the partition it came from. A record of a kind it does
// not know decodes to no items: newer servers may add kinds, and skipping
// them keeps the reader forward-compatible.
func Postgres(raw []byte, token string) ([]Item, error) {
	var r pgRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decoding change record %s: %w", truncate(raw), err)
	}
	switch {
	case r.DataChangeRecord != nil:
		d := r.DataChangeRecord
		ts, err := parsePGTime("commit_timestamp", d.CommitTimestamp)
		if err != nil {
			return nil, err
		}
		dcr := &record.DataChangeRecord{
			PartitionToken:                       token,
			CommitTimestamp:                      record.FromTime(ts),
			RecordSequence:                       d.RecordSequence,
			ServerTransactionID:                  d.ServerTransactionID,
			IsLastRecordInTransactionInPartition: d.IsLastRecordInTransactionInPartition,
			TableName:                            d.TableName,
			ModType:                              d.ModType,
			ValueCaptureType:                     d.ValueCaptureType,
			TransactionTag:                       d.TransactionTag,
			IsSystemTransaction:                  d.IsSystemTransaction,
		}
		if dcr.NumberOfRecordsInTransaction, err = pgInt("number_of_records_in_transaction", d.NumberOfRecordsInTransaction); err != nil {
			return nil, err
		}
		if dcr.NumberOfPartitionsInTransaction, err = pgInt("number_of_partitions_in_transaction", d.NumberOfPartitionsInTransaction); err != nil {
			return nil, err
		}
		for _, c := range d.ColumnTypes {
			pos, err := pgInt("column_types.ordinal_position", c.OrdinalPosition)
			if err != nil {
				return nil, err
			}
			dcr.ColumnTypes = append(dcr.ColumnTypes, record.ColumnType{
				Name: c.Name, TypeJSON: objectText(c.Type), IsPrimaryKey: c.IsPrimaryKey, OrdinalPosition: pos})
		}
		for _, m := range d.Mods {
			dcr.Mods = append(dcr.Mods, record.ModJSON{
				KeysJSON: objectText(m.Keys), NewValuesJSON: objectText(m.NewValues), OldValuesJSON: objectText(m.OldValues)})
		}
		return []Item{{Data: dcr}}, nil
	case r.HeartbeatRecord != nil:
		ts, err := parsePGTime("heartbeat_record.timestamp", r.HeartbeatRecord.Timestamp)
		if err != nil {
			return nil, err
		}
		return []Item{{Heartbeat: ts}}, nil
	case r.ChildPartitionsRecord != nil:
		ts, err := parsePGTime("child_partitions_record.start_timestamp", r.ChildPartitionsRecord.StartTimestamp)
		if err != nil {
			return nil, err
		}
		it := Item{ChildrenStart: ts}
		for _, c := range r.ChildPartitionsRecord.ChildPartitions {
			if c.Token == "" {
				continue
			}
			it.Children = append(it.Children, ChildPartition{Token: c.Token, Parents: c.ParentPartitionTokens})
		}
		if len(it.Children) == 0 {
			return nil, nil
		}
		return []Item{it}, nil
	}
	return nil, nil
}

// objectText keeps a nested JSON value as text; a missing or null one
// reads as {} like its GoogleSQL counterpart.
func objectText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	return string(raw)
}

// pgInt reads an INT64, sent as a string or a number; empty reads as 0.
func pgInt(field string, n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("change record %s: %w", field, err)
	}
	return v, nil
}

func parsePGTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("change record %s %q: %w", field, s, err)
	}
	return t.UTC(), nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
