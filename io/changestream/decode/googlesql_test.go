package decode_test

import (
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

var commit = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

// fullRecord has every field set to something other than its zero value,
// sub-second digits down to the nanosecond included.
func fullRecord() *record.DataChangeRecord {
	return &record.DataChangeRecord{
		PartitionToken:                       "tok",
		CommitTimestamp:                      record.FromTime(commit),
		RecordSequence:                       "00000007",
		ServerTransactionID:                  "txn-42",
		IsLastRecordInTransactionInPartition: true,
		TableName:                            "Orders",
		ColumnTypes: []record.ColumnType{
			{Name: "Id", TypeJSON: `{"code":"INT64"}`, IsPrimaryKey: true, OrdinalPosition: 1},
			{Name: "Tags", TypeJSON: `{"array_element_type":{"code":"STRING"},"code":"ARRAY"}`, OrdinalPosition: 2},
		},
		Mods: []record.ModJSON{
			{KeysJSON: `{"Id":"1"}`, NewValuesJSON: `{"Tags":["a<b>&"]}`, OldValuesJSON: `{}`},
			{KeysJSON: `{"Id":"2"}`, NewValuesJSON: `{"Tags":null}`, OldValuesJSON: `{"Tags":["x"]}`},
		},
		ModType:                         record.ModUpdate,
		ValueCaptureType:                "NEW_ROW",
		NumberOfRecordsInTransaction:    5,
		NumberOfPartitionsInTransaction: 3,
		TransactionTag:                  "txBy=forward-migration",
		IsSystemTransaction:             true,
	}
}

func sampleItems() []decode.Item {
	return []decode.Item{
		{Data: fullRecord()},
		{Heartbeat: commit.Add(time.Second)},
		{ChildrenStart: commit.Add(2 * time.Second), Children: []decode.ChildPartition{
			{Token: "c1", Parents: []string{"tok"}}, {Token: "m", Parents: []string{"tok", "other"}}}},
	}
}

func decodeGoogleSQL(t *testing.T, typ *spannerpb.Type, v *structpb.Value) []decode.Item {
	t.Helper()
	var d decode.GoogleSQL
	items, err := d.Decode(typ, v, "tok", nil)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return items
}

func TestGoogleSQLRoundTrip(t *testing.T) {
	want := sampleItems()
	got := decodeGoogleSQL(t, fakespanner.ChangeRecordType(), fakespanner.EncodeGoogleSQL(want...))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded items differ (-want +got):\n%s", diff)
	}
	if got[0].Data.CommitTimestamp.Nanos != 123456789 {
		t.Errorf("commit timestamp lost nanoseconds: %v", got[0].Data.CommitTimestamp)
	}
}

// TestGoogleSQLLenient: Spanner has added fields over time and may again;
// the decoder finds fields by name, ignores unknown ones and leaves missing
// ones at their zero value.
func TestGoogleSQLLenient(t *testing.T) {
	typ := fakespanner.ChangeRecordType()
	v := fakespanner.EncodeGoogleSQL(sampleItems()...)
	// Remove transaction_tag and is_system_transaction (an older server)
	// and append an unknown field to every struct (a newer one).
	data := typ.ArrayElementType.StructType.Fields[0].Type.ArrayElementType.StructType
	data.Fields = append(data.Fields[:11], &spannerpb.StructType_Field{Name: "future_field", Type: &spannerpb.Type{Code: spannerpb.TypeCode_STRING}})
	rec := typ.ArrayElementType.StructType
	rec.Fields = append(rec.Fields, &spannerpb.StructType_Field{Name: "partition_event_record",
		Type: &spannerpb.Type{Code: spannerpb.TypeCode_ARRAY, ArrayElementType: &spannerpb.Type{Code: spannerpb.TypeCode_STRUCT, StructType: &spannerpb.StructType{}}}})
	for _, cr := range v.GetListValue().Values {
		fields := cr.GetListValue()
		fields.Values = append(fields.Values, structpb.NewListValue(&structpb.ListValue{}))
		for _, d := range fields.Values[0].GetListValue().Values {
			df := d.GetListValue()
			df.Values = append(df.Values[:11], structpb.NewStringValue("whatever"))
		}
	}
	got := decodeGoogleSQL(t, typ, v)
	want := sampleItems()
	want[0].Data.TransactionTag, want[0].Data.IsSystemTransaction = "", false
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded items differ (-want +got):\n%s", diff)
	}
}

func TestGoogleSQLSkipsNulls(t *testing.T) {
	null := structpb.NewNullValue()
	list := func(vs ...*structpb.Value) *structpb.Value {
		return structpb.NewListValue(&structpb.ListValue{Values: vs})
	}
	good := fakespanner.EncodeGoogleSQL(decode.Item{Heartbeat: commit})
	nullTS := fakespanner.EncodeGoogleSQL(decode.Item{Data: fullRecord()})
	nullTS.GetListValue().Values[0].GetListValue().Values[0].GetListValue().Values[0].GetListValue().Values[0] = null
	v := list(
		null,                                     // a NULL ChangeRecord element
		list(null, null, null),                   // all three arrays NULL
		list(list(null), list(null), list(null)), // NULL structs inside
		nullTS.GetListValue().Values[0],          // a data record with a NULL commit timestamp
		good.GetListValue().Values[0],
	)
	got := decodeGoogleSQL(t, fakespanner.ChangeRecordType(), v)
	if len(got) != 1 || !got[0].Heartbeat.Equal(commit) {
		t.Errorf("got %+v, want only the heartbeat", got)
	}
}

func TestGoogleSQLErrors(t *testing.T) {
	good := func() *structpb.Value { return fakespanner.EncodeGoogleSQL(decode.Item{Data: fullRecord()}) }
	dataField := func(v *structpb.Value, i int, x *structpb.Value) *structpb.Value {
		v.GetListValue().Values[0].GetListValue().Values[0].GetListValue().Values[0].GetListValue().Values[i] = x
		return v
	}
	tests := []struct {
		name string
		typ  *spannerpb.Type
		v    *structpb.Value
		want string
	}{
		{"not an array of structs", &spannerpb.Type{Code: spannerpb.TypeCode_STRING}, structpb.NewStringValue("x"), "want ARRAY<STRUCT<...>>"},
		{"MUTABLE_KEY_RANGE stream", &spannerpb.Type{Code: spannerpb.TypeCode_PROTO, ProtoTypeFqn: "google.spanner.v1.ChangeStreamRecord"}, nil, "MUTABLE_KEY_RANGE"},
		{"bad timestamp", fakespanner.ChangeRecordType(), dataField(good(), 0, structpb.NewStringValue("yesterday")), "commit_timestamp"},
		{"INT64 not a number", fakespanner.ChangeRecordType(), dataField(good(), 9, structpb.NewStringValue("many")), "number_of_records_in_transaction"},
		{"string field holding a number", fakespanner.ChangeRecordType(), dataField(good(), 4, structpb.NewNumberValue(1)), "table_name: want a string"},
		{"list field holding a string", fakespanner.ChangeRecordType(), dataField(good(), 6, structpb.NewStringValue("x")), "mods: want a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d decode.GoogleSQL
			_, err := d.Decode(tc.typ, tc.v, "tok", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestGoogleSQLTypeChangeMidQuery: the layout is cached per type; a new
// type must be looked at afresh.
func TestGoogleSQLTypeChange(t *testing.T) {
	var d decode.GoogleSQL
	typ := fakespanner.ChangeRecordType()
	if _, err := d.Decode(typ, fakespanner.EncodeGoogleSQL(sampleItems()...), "tok", nil); err != nil {
		t.Fatal(err)
	}
	other := proto.Clone(typ).(*spannerpb.Type)
	// Swap heartbeat_record and child_partitions_record: positions change.
	f := other.ArrayElementType.StructType.Fields
	f[1], f[2] = f[2], f[1]
	v := fakespanner.EncodeGoogleSQL(decode.Item{Heartbeat: commit})
	vals := v.GetListValue().Values[0].GetListValue().Values
	vals[1], vals[2] = vals[2], vals[1]
	items, err := d.Decode(other, v, "tok", nil)
	if err != nil || len(items) != 1 || !items[0].Heartbeat.Equal(commit) {
		t.Fatalf("after a type change: %+v, %v", items, err)
	}
}
