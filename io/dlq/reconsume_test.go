package dlq

import (
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

const javaLine = `{"message":{"commitTimestamp":{"seconds":1718000000,"nanos":123456000},"serverTransactionId":"Nzg0OTU2OTQzNDUwMTUxMzYzNA==","recordSequence":"00000000","tableName":"Singers","mod":{"keysJson":"{\"SingerId\":\"1\"}","oldValuesJson":"{}","newValuesJson":"{\"FirstName\":\"Marc\",\"migration_shard_id\":\"shard1\"}"},"modType":"INSERT","numberOfRecordsInTransaction":1,"transactionTag":"","shard":"shard1","isRetryRecord":false,"_metadata_retry_count":0,"_metadata_historical_retry_count":0},"error_message":"UNKNOWN: java.sql.SQLIntegrityConstraintViolationException: Cannot add or update a child row"}`

func TestDecodeJavaLine(t *testing.T) {
	r, msg, err := Decode([]byte(javaLine))
	if err != nil {
		t.Fatal(err)
	}
	want := record.Record{
		CommitTimestamp:     record.Timestamp{Seconds: 1718000000, Nanos: 123456000},
		ServerTransactionID: "Nzg0OTU2OTQzNDUwMTUxMzYzNA==", RecordSequence: "00000000", TableName: "Singers",
		Mod: record.ModJSON{KeysJSON: `{"SingerId":"1"}`, OldValuesJSON: "{}",
			NewValuesJSON: `{"FirstName":"Marc","migration_shard_id":"shard1"}`},
		ModType: "INSERT", NumberOfRecordsInTransaction: 1, Shard: "shard1",
	}
	if r != want {
		t.Errorf("Decode =\n%+v\nwant\n%+v", r, want)
	}
	if !strings.HasPrefix(msg, "UNKNOWN: java.sql") {
		t.Errorf("error message %q", msg)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r, _, _ := Decode([]byte(javaLine))
	r.RetryCount, r.HistoricalRetryCount, r.LastError = 3, 7, "earlier"
	line, err := Encode(r, "now")
	if err != nil {
		t.Fatal(err)
	}
	back, msg, err := Decode(line)
	if err != nil || back != r || msg != "now" {
		t.Errorf("round trip: %+v %q %v", back, msg, err)
	}
}

// TestEncodeLeavesOutTheRead: the name and number a record gets when it
// is read back from the DLQ (for the deletion of its file) never go into
// a DLQ line, whose fields are the Java template's; a record written back
// is numbered afresh when it is read again.
func TestEncodeLeavesOutTheRead(t *testing.T) {
	r, _, _ := Decode([]byte(javaLine))
	r.Origin, r.OriginIndex = "0123456789abcdef gs://b/retry/error-1.json", 41
	line, err := Encode(r, "now")
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"0123456789abcdef", "Origin", "41"} {
		if strings.Contains(string(line), leak) {
			t.Errorf("DLQ line holds %q of the read: %s", leak, line)
		}
	}
	back, _, err := Decode(line)
	if err != nil || back.Origin != "" || back.OriginIndex != 0 {
		t.Errorf("decoded %q #%d (%v), want no read", back.Origin, back.OriginIndex, err)
	}
}

func TestDecodeRejectsMalformedLines(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"not JSON", `this is not JSON`, "not a DLQ line"},
		{"no message", `{"error_message":"x"}`, `no "message" object`},
		{"message not an object", `{"message":"text","error_message":"x"}`, `no "message" object`},
		{"unknown top-level field", `{"message":{},"error_message":"x","extra":1}`, "unknown field"},
		{"unknown record field", `{"message":{"tableName":"t","surprise":1},"error_message":"x"}`, "unknown field"},
		{"wrong type", `{"message":{"tableName":5},"error_message":"x"}`, "cannot unmarshal"},
		{"no table", `{"message":{"modType":"INSERT","mod":{"keysJson":"{}"},"recordSequence":"0"}}`, "no tableName"},
		{"bad mod type", `{"message":{"tableName":"t","modType":"UPSERT","mod":{"keysJson":"{}"},"recordSequence":"0"}}`, "modType"},
		{"no keys", `{"message":{"tableName":"t","modType":"INSERT","recordSequence":"0"}}`, "keysJson"},
		{"bad sequence", `{"message":{"tableName":"t","modType":"INSERT","mod":{"keysJson":"{}"},"recordSequence":"x"}}`, "record sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode([]byte(tt.line))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode(%s) = %v, want an error containing %q", tt.line, err, tt.want)
			}
			if r := Reconsume([]byte(tt.line), 5); r.Verdict != Malformed {
				t.Errorf("Reconsume verdict %v, want Malformed", r.Verdict)
			}
		})
	}
}

// TestRetryBudget follows a record that always fails: with
// dlqMaxRetryCount=2 it is retried exactly twice, then lands in severe/ with
// its count reset and the attempts kept in the historical count; moved back
// from severe/ to retry/ it gets a fresh budget.
func TestRetryBudget(t *testing.T) {
	line := []byte(javaLine)
	retries := 0
	var r Reconsumed
	for {
		r = Reconsume(line, 2)
		if r.Verdict != Retry {
			break
		}
		retries++
		if !r.Record.IsRetryRecord || r.Record.LastError == "" {
			t.Fatalf("retried record %+v lacks retry marks", r.Record)
		}
		var err error
		if line, err = Encode(r.Record, "still failing"); err != nil { // it fails again
			t.Fatal(err)
		}
	}
	if retries != 2 || r.Verdict != Exhausted {
		t.Fatalf("retried %d times then %v, want 2 retries then Exhausted", retries, r.Verdict)
	}
	if r.Record.RetryCount != 0 || r.Record.HistoricalRetryCount != 2 {
		t.Errorf("exhausted counts: retry %d historical %d, want 0 and 2", r.Record.RetryCount, r.Record.HistoricalRetryCount)
	}
	severe, _ := Encode(r.Record, r.Error)
	if again := Reconsume(severe, 2); again.Verdict != Retry || again.Record.RetryCount != 1 {
		t.Errorf("moved back to retry/: %v count %d, want a fresh budget", again.Verdict, again.Record.RetryCount)
	}
	if forever := Reconsume([]byte(javaLine), 0); forever.Verdict != Retry {
		t.Errorf("dlqMaxRetryCount=0 must retry forever, got %v", forever.Verdict)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(javaLine))
	f.Add([]byte(`{"message":{}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, msg, err := Decode(line)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode back to the same record.
		enc, err := Encode(r, msg)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		back, msg2, err := Decode(enc)
		if err != nil || back != r || msg2 != msg {
			t.Fatalf("round trip changed the record: %+v vs %+v (%v)", back, r, err)
		}
	})
}

func TestRetryFileFromNotification(t *testing.T) {
	finalize := func(bucket, obj string) map[string]string {
		return map[string]string{"eventType": "OBJECT_FINALIZE", "bucketId": bucket, "objectId": obj}
	}
	tests := []struct {
		name  string
		attrs map[string]string
		want  string
	}{
		{"retry file", finalize("b", "dlq/retry/2024/06/10/06/13/error-1.json"), "gs://b/dlq/retry/2024/06/10/06/13/error-1.json"},
		{"severe file", finalize("b", "dlq/severe/2024/06/10/06/13/error-1.json"), ""},
		{"skip file", finalize("b", "dlq/skip/error-1.json"), ""},
		{"java temp dir", finalize("b", "dlq/tmp_retry/x.json"), ""},
		{"java temp file", finalize("b", "dlq/retry/.temp-beam/x.json"), ""},
		{"our temp file", finalize("b", "dlq/retry/2024/.error-1.json.tmp"), ""},
		{"folder placeholder", finalize("b", "dlq/retry/"), ""},
		{"other bucket", finalize("c", "dlq/retry/error-1.json"), ""},
		{"prefix lookalike", finalize("b", "dlq/retryx/error-1.json"), ""},
		{"delete event", map[string]string{"eventType": "OBJECT_DELETE", "bucketId": "b", "objectId": "dlq/retry/e.json"}, ""},
	}
	for _, tt := range tests {
		got, ok := RetryFileFromNotification(tt.attrs, "gs://b/dlq/")
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: got %q %v, want %q", tt.name, got, ok, tt.want)
		}
	}
}
