// Package record defines the elements that flow through the pipeline: the
// change record as read from a Spanner change stream, and the per-row record
// that is shard-assigned, written to MySQL, and written to the dead-letter
// queue. The per-row record's JSON form is the Java template's DLQ format, so
// DLQ files written by either template can be read by the other.
package record

import (
	"fmt"
	"strconv"
	"time"
)

// Timestamp is a commit timestamp with full nanosecond precision. Its JSON
// form, {"seconds":..,"nanos":..}, is how the Java template serialises
// com.google.cloud.Timestamp into DLQ files.
type Timestamp struct {
	Seconds int64 `json:"seconds"`
	Nanos   int32 `json:"nanos"`
}

// FromTime converts a time.Time.
func FromTime(t time.Time) Timestamp {
	return Timestamp{Seconds: t.Unix(), Nanos: int32(t.Nanosecond())}
}

// Time converts back to a UTC time.Time.
func (t Timestamp) Time() time.Time { return time.Unix(t.Seconds, int64(t.Nanos)).UTC() }

// Compare orders two timestamps: -1, 0 or +1.
func (t Timestamp) Compare(o Timestamp) int {
	switch {
	case t.Seconds < o.Seconds:
		return -1
	case t.Seconds > o.Seconds:
		return 1
	case t.Nanos < o.Nanos:
		return -1
	case t.Nanos > o.Nanos:
		return 1
	}
	return 0
}

// String formats as RFC 3339 with nanoseconds.
func (t Timestamp) String() string { return t.Time().Format(time.RFC3339Nano) }

// ColumnType is one entry of a data change record's column_types.
type ColumnType struct {
	Name string `json:"name"`
	// TypeJSON is Spanner's type description, e.g. {"code":"INT64"}.
	TypeJSON        string `json:"type"`
	IsPrimaryKey    bool   `json:"isPrimaryKey"`
	OrdinalPosition int64  `json:"ordinalPosition"`
}

// ModJSON holds one modified row as JSON objects in text form, exactly as the
// change stream delivers them (values keep Spanner's JSON encodings).
type ModJSON struct {
	KeysJSON      string `json:"keysJson"`
	OldValuesJSON string `json:"oldValuesJson"`
	NewValuesJSON string `json:"newValuesJson"`
}

// DataChangeRecord is one data_change_record of a change-stream partition:
// the changes of one transaction to one table within that partition.
type DataChangeRecord struct {
	PartitionToken                       string
	CommitTimestamp                      Timestamp
	RecordSequence                       string
	ServerTransactionID                  string
	IsLastRecordInTransactionInPartition bool
	TableName                            string
	ColumnTypes                          []ColumnType
	Mods                                 []ModJSON
	ModType                              string
	ValueCaptureType                     string
	NumberOfRecordsInTransaction         int64
	NumberOfPartitionsInTransaction      int64
	TransactionTag                       string
	IsSystemTransaction                  bool
}

// Mod types, as the change stream names them.
const (
	ModInsert = "INSERT"
	ModUpdate = "UPDATE"
	ModDelete = "DELETE"
)

// Record is one modified row on its way to MySQL; the Java template calls it
// TrimmedShardedDataChangeRecord. Field names and JSON names are kept so a
// DLQ line of either template decodes into it.
type Record struct {
	CommitTimestamp              Timestamp `json:"commitTimestamp"`
	ServerTransactionID          string    `json:"serverTransactionId"`
	RecordSequence               string    `json:"recordSequence"`
	TableName                    string    `json:"tableName"`
	Mod                          ModJSON   `json:"mod"`
	ModType                      string    `json:"modType"`
	NumberOfRecordsInTransaction int64     `json:"numberOfRecordsInTransaction"`
	TransactionTag               string    `json:"transactionTag"`
	Shard                        string    `json:"shard,omitempty"`
	IsRetryRecord                bool      `json:"isRetryRecord"`
	RetryCount                   int64     `json:"_metadata_retry_count"`
	HistoricalRetryCount         int64     `json:"_metadata_historical_retry_count"`
	// LastError is the error of the previous attempt, set when the record
	// is read back from the DLQ (the Java template's _metadata_error).
	LastError string `json:"_metadata_error,omitempty"`
	// Origin names the read of the DLQ file the record came from (empty
	// for a change-stream record). The stages that commit a record's
	// outcome report it under this name, and the file is deleted once
	// every record of the read is accounted for (transforms.DeleteConsumed).
	// It never goes into a DLQ line.
	Origin string `json:"-"`
	// OriginIndex numbers the record within its read: the reader sends
	// on records 0, 1, ... in file order, and the Done reports name
	// records by it, so a record delivered or reported twice (Dataflow's
	// at-least-once mode, a retried bundle) is counted once. It never
	// goes into a DLQ line either: a record read back gets a new one.
	OriginIndex int64 `json:"-"`
}

// Sequence parses RecordSequence. Spanner's sequences are decimal digit
// strings ("00000012"); an unparsable one is an error, never silently 0,
// because it decides which of two same-timestamp changes wins.
func (r Record) Sequence() (int64, error) {
	n, err := strconv.ParseInt(r.RecordSequence, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("record of table %q at %s: record sequence %q is not a number: %w",
			r.TableName, r.CommitTimestamp, r.RecordSequence, err)
	}
	return n, nil
}

// Records splits a data change record into one Record per modified row. All
// rows share the transaction's commit timestamp and record sequence.
func Records(dcr DataChangeRecord) []Record {
	out := make([]Record, 0, len(dcr.Mods))
	for _, m := range dcr.Mods {
		out = append(out, Record{
			CommitTimestamp:              dcr.CommitTimestamp,
			ServerTransactionID:          dcr.ServerTransactionID,
			RecordSequence:               dcr.RecordSequence,
			TableName:                    dcr.TableName,
			Mod:                          m,
			ModType:                      dcr.ModType,
			NumberOfRecordsInTransaction: dcr.NumberOfRecordsInTransaction,
			TransactionTag:               dcr.TransactionTag,
		})
	}
	return out
}
