package decode_test

import (
	"fmt"
	"testing"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// benchRecord is a data change record of a six-column table, one row.
func benchRecord() *structpb.Value {
	r := fullRecord()
	r.ColumnTypes = nil
	for i, n := range []string{"Id", "Name", "Amount", "Placed", "Paid", "Note"} {
		r.ColumnTypes = append(r.ColumnTypes, record.ColumnType{Name: n, TypeJSON: `{"code":"STRING"}`, IsPrimaryKey: i == 0, OrdinalPosition: int64(i + 1)})
	}
	r.Mods = []record.ModJSON{{KeysJSON: `{"Id":"1"}`, OldValuesJSON: "{}",
		NewValuesJSON: `{"Amount":"12.25","Name":"customer 1","Note":"deliver to the back door","Paid":true,"Placed":"2026-05-06T07:08:09.123456Z"}`}}
	return fakespanner.EncodeGoogleSQL(decode.Item{Data: r})
}

// BenchmarkGoogleSQL is the decoder alone, on values already unmarshalled.
func BenchmarkGoogleSQL(b *testing.B) {
	typ, v := fakespanner.ChangeRecordType(), benchRecord()
	var d decode.GoogleSQL
	var items []decode.Item
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if items, err = d.Decode(typ, v, "tok", items[:0]); err != nil || len(items) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientLenient is what the reader did before: the client's
// reflective ToStructLenient (JSON values re-encoded afterwards not
// included).
func BenchmarkClientLenient(b *testing.B) {
	typ, v := fakespanner.ChangeRecordType(), benchRecord()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := oracleDecode(typ, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireUnmarshal is the protobuf decoding of one record's
// PartialResultSet, which the client does before any of the above.
func BenchmarkWireUnmarshal(b *testing.B) {
	wire, err := proto.Marshal(&spannerpb.PartialResultSet{Values: []*structpb.Value{benchRecord()}, ResumeToken: []byte("12")})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for i := 0; i < b.N; i++ {
		var prs spannerpb.PartialResultSet
		if err := proto.Unmarshal(wire, &prs); err != nil {
			b.Fatal(err)
		}
	}
	_ = fmt.Sprint()
}
