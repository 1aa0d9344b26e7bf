package streamquery

import (
	"testing"
	"time"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func decodeBoth(t *testing.T, b []byte) (fast, generic *spannerpb.PartialResultSet, fastErr, genericErr error) {
	t.Helper()
	fast, generic = &spannerpb.PartialResultSet{}, &spannerpb.PartialResultSet{}
	fastErr = Codec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(append([]byte(nil), b...))}, fast)
	genericErr = proto.Unmarshal(b, generic)
	return
}

func sampleResultSet() *spannerpb.PartialResultSet {
	l := func(vs ...*structpb.Value) *structpb.Value {
		return structpb.NewListValue(&structpb.ListValue{Values: vs})
	}
	return &spannerpb.PartialResultSet{
		Metadata: &spannerpb.ResultSetMetadata{RowType: &spannerpb.StructType{Fields: []*spannerpb.StructType_Field{{Name: "ChangeRecord"}}}},
		Values: []*structpb.Value{
			l(l(l(structpb.NewStringValue("2026-01-01T00:00:00.123456789Z"), structpb.NewBoolValue(true), structpb.NewNullValue(),
				l(l(structpb.NewStringValue("é<&>"), structpb.NewNumberValue(1.5)), l()), structpb.NewStringValue(""))), l(), l()),
			structpb.NewStringValue("second value"),
		},
		ChunkedValue: true, ResumeToken: []byte{1, 2, 3}, Last: true,
	}
}

// TestCodecMatchesProto: the fast decoder gives exactly what the generic
// protobuf decoder gives.
func TestCodecMatchesProto(t *testing.T) {
	b, err := proto.Marshal(sampleResultSet())
	if err != nil {
		t.Fatal(err)
	}
	fast, generic, ferr, gerr := decodeBoth(t, b)
	if ferr != nil || gerr != nil {
		t.Fatalf("errors: fast %v, generic %v", ferr, gerr)
	}
	if !proto.Equal(fast, generic) {
		t.Errorf("fast decoding differs:\n%v\ngeneric:\n%v", fast, generic)
	}
	// And the fast path was taken: no fallback for a plain result set.
	var got spannerpb.PartialResultSet
	if err := decodeResultSet(b, &got); err != nil {
		t.Errorf("a plain result set fell back: %v", err)
	}
}

// TestCodecFallsBack: what the fast path does not handle still decodes.
func TestCodecFallsBack(t *testing.T) {
	withStruct := sampleResultSet()
	withStruct.Values = append(withStruct.Values, structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"a": structpb.NewBoolValue(true)}}))
	b, _ := proto.Marshal(withStruct)
	unknown := protowireAppendUnknown(b)
	for name, in := range map[string][]byte{"struct value": b, "unknown field": unknown} {
		fast, generic, ferr, gerr := decodeBoth(t, in)
		if ferr != nil || gerr != nil || !proto.Equal(fast, generic) {
			t.Errorf("%s: fast %v (%v), generic %v (%v)", name, fast, ferr, generic, gerr)
		}
	}
}

func protowireAppendUnknown(b []byte) []byte {
	// field 99, varint 7
	return append(append([]byte(nil), b...), 0x98, 0x06, 0x07)
}

// FuzzCodec: for any bytes, the fast decoder agrees with the generic one,
// errors included.
func FuzzCodec(f *testing.F) {
	b, _ := proto.Marshal(sampleResultSet())
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x12, 0x02, 0x32, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		fast, generic, ferr, gerr := decodeBoth(t, in)
		if (ferr == nil) != (gerr == nil) {
			t.Fatalf("fast error %v, generic error %v", ferr, gerr)
		}
		if ferr == nil && !proto.Equal(fast, generic) {
			t.Fatalf("fast decoding differs:\n%v\ngeneric:\n%v", fast, generic)
		}
	})
}

// BenchmarkCodecUnmarshal decodes one result set holding a realistic change
// record, with Codec and with the generic decoder.
func BenchmarkCodecUnmarshal(b *testing.B) {
	r := fakeRecordValue()
	wire, err := proto.Marshal(&spannerpb.PartialResultSet{Values: []*structpb.Value{r}, ResumeToken: []byte("12")})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("codec=fast", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var m spannerpb.PartialResultSet
			if err := (Codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("codec=generic", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var m spannerpb.PartialResultSet
			if err := proto.Unmarshal(wire, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// fakeRecordValue is a data change record of a six-column table, one row.
func fakeRecordValue() *structpb.Value {
	d := &record.DataChangeRecord{
		CommitTimestamp: record.FromTime(time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)), RecordSequence: "00000001",
		ServerTransactionID: "txn", IsLastRecordInTransactionInPartition: true, TableName: "Orders",
		ModType: record.ModUpdate, ValueCaptureType: "NEW_ROW", NumberOfRecordsInTransaction: 1, NumberOfPartitionsInTransaction: 1,
		Mods: []record.ModJSON{{KeysJSON: `{"Id":"1"}`, OldValuesJSON: "{}",
			NewValuesJSON: `{"Amount":"12.25","Name":"customer 1","Note":"deliver to the back door","Paid":true,"Placed":"2026-05-06T07:08:09.123456Z"}`}},
	}
	for i, n := range []string{"Id", "Name", "Amount", "Placed", "Paid", "Note"} {
		d.ColumnTypes = append(d.ColumnTypes, record.ColumnType{Name: n, TypeJSON: `{"code":"STRING"}`, IsPrimaryKey: i == 0, OrdinalPosition: int64(i + 1)})
	}
	return fakespanner.EncodeGoogleSQL(decode.Item{Data: d})
}
