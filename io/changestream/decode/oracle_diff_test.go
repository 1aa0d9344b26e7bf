package decode_test

import (
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	// The oracle decodes JSON numbers exactly, as the fast decoder keeps
	// their text.
	spanner.UseNumberWithJSONDecoderEncoder(true)
}

func oracleSample() *structpb.Value {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 120, time.UTC)
	return fakespanner.EncodeGoogleSQL(
		decode.Item{Data: &record.DataChangeRecord{CommitTimestamp: record.FromTime(ts), RecordSequence: "00000001",
			ServerTransactionID: "t", TableName: "T", ModType: "INSERT", ValueCaptureType: "NEW_ROW",
			NumberOfRecordsInTransaction: 2, NumberOfPartitionsInTransaction: 2, TransactionTag: "tag",
			ColumnTypes: []record.ColumnType{{Name: "K", TypeJSON: `{"code":"INT64"}`, IsPrimaryKey: true, OrdinalPosition: 1}},
			Mods:        []record.ModJSON{{KeysJSON: `{"K":"1"}`, NewValuesJSON: `{"F":1.5e+300,"N":12345678901234567890}`, OldValuesJSON: "{}"}}}},
		decode.Item{Heartbeat: ts},
		decode.Item{ChildrenStart: ts, Children: []decode.ChildPartition{{Token: "c", Parents: []string{"p1", "p2"}}}},
	)
}

func TestAgreesWithClientDecoding(t *testing.T) {
	typ := fakespanner.ChangeRecordType()
	v := oracleSample()
	want, err := oracleDecode(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	var d decode.GoogleSQL
	items, err := d.Decode(typ, v, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := render(items); !sameRendering(got, want) {
		t.Errorf("fast decoder:\n%q\nclient decoding:\n%q", got, want)
	}
}

// FuzzGoogleSQL feeds arbitrary ChangeRecord values (as protojson) to the
// decoder: it must not panic, and whenever both it and the client's own
// decoding accept a value, they must agree.
func FuzzGoogleSQL(f *testing.F) {
	seed, _ := protojson.Marshal(oracleSample())
	f.Add(seed)
	f.Add([]byte(`[[[], [["2026-01-01T00:00:00Z"]], []]]`))
	f.Add([]byte(`[[null, null, [["2026-01-01T00:00:00.5Z", "0", [["t", ["a", null]]]]]]]`))
	typ := fakespanner.ChangeRecordType()
	f.Fuzz(func(t *testing.T, data []byte) {
		var v structpb.Value
		if protojson.Unmarshal(data, &v) != nil {
			return
		}
		var d decode.GoogleSQL
		items, err := d.Decode(typ, &v, "tok", nil)
		for _, it := range items {
			kinds := 0
			if it.Data != nil {
				kinds++
			}
			if len(it.Children) > 0 {
				kinds++
			}
			if kinds > 1 || kinds == 0 && it.Heartbeat.IsZero() {
				t.Fatalf("item %+v is not exactly one kind", it)
			}
		}
		if err != nil {
			return
		}
		want, oerr := oracleDecode(typ, &v)
		if oerr != nil {
			return
		}
		if got := render(items); !sameRendering(got, want) {
			t.Fatalf("fast decoder:\n%q\nclient decoding:\n%q", got, want)
		}
	})
}
