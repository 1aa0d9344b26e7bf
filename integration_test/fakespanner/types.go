// Package fakespanner is a small gRPC-level stand-in for the Spanner query
// API that serves scripted change-stream partitions. It exists for what the
// emulator cannot do: transaction tags, sub-second commit timestamps,
// transactions spread over several partitions, and errors in the middle of
// a stream. The real Go client talks to it over loopback, so decoding is
// exercised exactly as in production.
package fakespanner

import (
	"cloud.google.com/go/spanner/apiv1/spannerpb"
)

func scalar(c spannerpb.TypeCode) *spannerpb.Type { return &spannerpb.Type{Code: c} }

func arrayOf(t *spannerpb.Type) *spannerpb.Type {
	return &spannerpb.Type{Code: spannerpb.TypeCode_ARRAY, ArrayElementType: t}
}

func structOf(names []string, types ...*spannerpb.Type) *spannerpb.Type {
	st := &spannerpb.StructType{}
	for i, n := range names {
		st.Fields = append(st.Fields, &spannerpb.StructType_Field{Name: n, Type: types[i]})
	}
	return &spannerpb.Type{Code: spannerpb.TypeCode_STRUCT, StructType: st}
}

// ChangeRecordType is the type of the ChangeRecord column that READ_<stream>
// returns in a GoogleSQL database (IMMUTABLE_KEY_RANGE streams), field for
// field as the emulator and production send it.
func ChangeRecordType() *spannerpb.Type {
	str, js, b, i64, ts := scalar(spannerpb.TypeCode_STRING), scalar(spannerpb.TypeCode_JSON),
		scalar(spannerpb.TypeCode_BOOL), scalar(spannerpb.TypeCode_INT64), scalar(spannerpb.TypeCode_TIMESTAMP)
	columnType := structOf([]string{"name", "type", "is_primary_key", "ordinal_position"}, str, js, b, i64)
	mod := structOf([]string{"keys", "new_values", "old_values"}, js, js, js)
	data := structOf([]string{
		"commit_timestamp", "record_sequence", "server_transaction_id",
		"is_last_record_in_transaction_in_partition", "table_name", "column_types", "mods",
		"mod_type", "value_capture_type", "number_of_records_in_transaction",
		"number_of_partitions_in_transaction", "transaction_tag", "is_system_transaction",
	}, ts, str, str, b, str, arrayOf(columnType), arrayOf(mod), str, str, i64, i64, str, b)
	heartbeat := structOf([]string{"timestamp"}, ts)
	child := structOf([]string{"token", "parent_partition_tokens"}, str, arrayOf(str))
	children := structOf([]string{"start_timestamp", "record_sequence", "child_partitions"}, ts, str, arrayOf(child))
	return arrayOf(structOf([]string{"data_change_record", "heartbeat_record", "child_partitions_record"},
		arrayOf(data), arrayOf(heartbeat), arrayOf(children)))
}

// PostgresColumnType is the type of the single column of
// spanner.read_json_<stream> in a PostgreSQL-dialect database.
func PostgresColumnType() *spannerpb.Type {
	return &spannerpb.Type{Code: spannerpb.TypeCode_JSON, TypeAnnotation: spannerpb.TypeAnnotationCode_PG_JSONB}
}
