package changestream

import (
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
)

// ChildPartition is a partition announced by a child_partitions_record.
type ChildPartition struct {
	Token   string
	Parents []string
}

// Item is one record of a partition query: exactly one of Data, Heartbeat
// and Children is set.
type Item struct {
	Data *record.DataChangeRecord
	// Heartbeat is the time up to which the partition has returned everything.
	Heartbeat time.Time
	// Children and ChildrenStart come from a child_partitions_record.
	Children      []ChildPartition
	ChildrenStart time.Time
}

// Position is the item's timestamp: the commit time, heartbeat time or child start.
func (it Item) Position() time.Time {
	switch {
	case it.Data != nil:
		return it.Data.CommitTimestamp.Time()
	case len(it.Children) > 0:
		return it.ChildrenStart
	}
	return it.Heartbeat
}

// The structs below mirror the GoogleSQL TVF's ChangeRecord type. They are
// decoded leniently: Spanner adds fields over time (transaction_tag,
// is_system_transaction came late) and a reader must not break on new ones.
type changeRecordRow struct {
	DataChangeRecord      []*dataChangeRecordRow      `spanner:"data_change_record"`
	HeartbeatRecord       []*heartbeatRecordRow       `spanner:"heartbeat_record"`
	ChildPartitionsRecord []*childPartitionsRecordRow `spanner:"child_partitions_record"`
}

type dataChangeRecordRow struct {
	CommitTimestamp                      spanner.NullTime   `spanner:"commit_timestamp"`
	RecordSequence                       spanner.NullString `spanner:"record_sequence"`
	ServerTransactionID                  spanner.NullString `spanner:"server_transaction_id"`
	IsLastRecordInTransactionInPartition spanner.NullBool   `spanner:"is_last_record_in_transaction_in_partition"`
	TableName                            spanner.NullString `spanner:"table_name"`
	ColumnTypes                          []*columnTypeRow   `spanner:"column_types"`
	Mods                                 []*modRow          `spanner:"mods"`
	ModType                              spanner.NullString `spanner:"mod_type"`
	ValueCaptureType                     spanner.NullString `spanner:"value_capture_type"`
	NumberOfRecordsInTransaction         spanner.NullInt64  `spanner:"number_of_records_in_transaction"`
	NumberOfPartitionsInTransaction      spanner.NullInt64  `spanner:"number_of_partitions_in_transaction"`
	TransactionTag                       spanner.NullString `spanner:"transaction_tag"`
	IsSystemTransaction                  spanner.NullBool   `spanner:"is_system_transaction"`
}

type columnTypeRow struct {
	Name            spanner.NullString `spanner:"name"`
	Type            spanner.NullJSON   `spanner:"type"`
	IsPrimaryKey    spanner.NullBool   `spanner:"is_primary_key"`
	OrdinalPosition spanner.NullInt64  `spanner:"ordinal_position"`
}

type modRow struct {
	Keys      spanner.NullJSON `spanner:"keys"`
	NewValues spanner.NullJSON `spanner:"new_values"`
	OldValues spanner.NullJSON `spanner:"old_values"`
}

type heartbeatRecordRow struct {
	Timestamp spanner.NullTime `spanner:"timestamp"`
}

type childPartitionsRecordRow struct {
	StartTimestamp  spanner.NullTime     `spanner:"start_timestamp"`
	RecordSequence  spanner.NullString   `spanner:"record_sequence"`
	ChildPartitions []*childPartitionRow `spanner:"child_partitions"`
}

type childPartitionRow struct {
	Token                 spanner.NullString   `spanner:"token"`
	ParentPartitionTokens []spanner.NullString `spanner:"parent_partition_tokens"`
}

// decodeGoogleSQLRow turns one result row of READ_<stream> into items.
func decodeGoogleSQLRow(row *spanner.Row, token string) ([]Item, error) {
	var cr struct {
		ChangeRecord []*changeRecordRow `spanner:"ChangeRecord"`
	}
	if err := row.ToStructLenient(&cr); err != nil {
		return nil, fmt.Errorf("decoding change record: %w", err)
	}
	var items []Item
	for _, c := range cr.ChangeRecord {
		if c == nil {
			continue
		}
		for _, d := range c.DataChangeRecord {
			// Spanner fills one of the three arrays; the others may hold
			// NULL structs, recognisable by a NULL key timestamp.
			if d == nil || !d.CommitTimestamp.Valid {
				continue
			}
			dcr, err := d.toRecord(token)
			if err != nil {
				return nil, err
			}
			items = append(items, Item{Data: dcr})
		}
		for _, h := range c.HeartbeatRecord {
			if h == nil || !h.Timestamp.Valid {
				continue
			}
			items = append(items, Item{Heartbeat: h.Timestamp.Time})
		}
		for _, cp := range c.ChildPartitionsRecord {
			if cp == nil || !cp.StartTimestamp.Valid {
				continue
			}
			it := Item{ChildrenStart: cp.StartTimestamp.Time}
			for _, ch := range cp.ChildPartitions {
				if ch == nil || !ch.Token.Valid {
					continue
				}
				p := ChildPartition{Token: ch.Token.StringVal}
				for _, pt := range ch.ParentPartitionTokens {
					if pt.Valid {
						p.Parents = append(p.Parents, pt.StringVal)
					}
				}
				it.Children = append(it.Children, p)
			}
			if len(it.Children) > 0 {
				items = append(items, it)
			}
		}
	}
	return items, nil
}

func (d *dataChangeRecordRow) toRecord(token string) (*record.DataChangeRecord, error) {
	r := &record.DataChangeRecord{
		PartitionToken:                       token,
		CommitTimestamp:                      record.FromTime(d.CommitTimestamp.Time),
		RecordSequence:                       d.RecordSequence.StringVal,
		ServerTransactionID:                  d.ServerTransactionID.StringVal,
		IsLastRecordInTransactionInPartition: d.IsLastRecordInTransactionInPartition.Bool,
		TableName:                            d.TableName.StringVal,
		ModType:                              d.ModType.StringVal,
		ValueCaptureType:                     d.ValueCaptureType.StringVal,
		NumberOfRecordsInTransaction:         d.NumberOfRecordsInTransaction.Int64,
		NumberOfPartitionsInTransaction:      d.NumberOfPartitionsInTransaction.Int64,
		TransactionTag:                       d.TransactionTag.StringVal,
		IsSystemTransaction:                  d.IsSystemTransaction.Bool,
	}
	for _, ct := range d.ColumnTypes {
		if ct == nil {
			continue
		}
		typ, err := jsonText(ct.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q type: %w", ct.Name.StringVal, err)
		}
		r.ColumnTypes = append(r.ColumnTypes, record.ColumnType{
			Name: ct.Name.StringVal, TypeJSON: typ,
			IsPrimaryKey: ct.IsPrimaryKey.Bool, OrdinalPosition: ct.OrdinalPosition.Int64,
		})
	}
	for i, m := range d.Mods {
		if m == nil {
			continue
		}
		var mj record.ModJSON
		var err error
		if mj.KeysJSON, err = jsonText(m.Keys); err != nil {
			return nil, fmt.Errorf("table %s mod %d keys: %w", r.TableName, i, err)
		}
		if mj.NewValuesJSON, err = jsonText(m.NewValues); err != nil {
			return nil, fmt.Errorf("table %s mod %d new_values: %w", r.TableName, i, err)
		}
		if mj.OldValuesJSON, err = jsonText(m.OldValues); err != nil {
			return nil, fmt.Errorf("table %s mod %d old_values: %w", r.TableName, i, err)
		}
		r.Mods = append(r.Mods, mj)
	}
	return r, nil
}

// jsonText re-encodes a decoded JSON value. The client is switched to
// json.Number decoding (see init), so numbers keep every digit.
func jsonText(j spanner.NullJSON) (string, error) {
	if !j.Valid || j.Value == nil {
		return "{}", nil
	}
	b, err := json.Marshal(j.Value)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func init() {
	// FLOAT64 values arrive as JSON numbers; float64 decoding would be exact
	// too, but json.Number also keeps NUMERIC-like precision and formatting.
	spanner.UseNumberWithJSONDecoderEncoder(true)
}
