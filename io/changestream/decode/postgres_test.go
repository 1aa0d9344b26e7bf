package decode_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/fakespanner"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Records as the emulator's PostgreSQL interface sends them (copied from a
// run against emulator 1.5.28).
const (
	pgChildren  = `{"child_partitions_record":{"child_partitions":[{"parent_partition_tokens":[],"token":"Nmt0"}],"record_sequence":"00000000","start_timestamp":"2026-11-25T20:07:19.354375199+00:00"}}`
	pgData      = `{"data_change_record":{"column_types":[{"is_primary_key":true,"name":"id","ordinal_position":1,"type":{"code":"INT64"}},{"is_primary_key":false,"name":"n","ordinal_position":2,"type":{"code":"NUMERIC","type_annotation":"PG_NUMERIC"}}],"commit_timestamp":"2026-11-25T20:07:20.560978+00:00","is_last_record_in_transaction_in_partition":true,"is_system_transaction":false,"mod_type":"INSERT","mods":[{"keys":{"id":"1"},"new_values":{"n":null,"name":"x","ts":"2026-11-25T20:07:20Z"},"old_values":{}}],"number_of_partitions_in_transaction":1,"number_of_records_in_transaction":1,"record_sequence":"00000000","server_transaction_id":"2","table_name":"t","transaction_tag":"","value_capture_type":"NEW_ROW"}}`
	pgHeartbeat = `{"heartbeat_record":{"timestamp":"2026-11-25T20:07:21.844018+00:00"}}`
)

func TestPostgres(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t.UTC() }
	tests := []struct {
		name string
		raw  string
		want []decode.Item
	}{
		{"child partitions", pgChildren, []decode.Item{{ChildrenStart: at("2026-11-25T20:07:19.354375199Z"),
			Children: []decode.ChildPartition{{Token: "Nmt0", Parents: []string{}}}}}},
		{"heartbeat", pgHeartbeat, []decode.Item{{Heartbeat: at("2026-11-25T20:07:21.844018Z")}}},
		{"data change", pgData, []decode.Item{{Data: &record.DataChangeRecord{
			PartitionToken: "tok", CommitTimestamp: record.FromTime(at("2026-11-25T20:07:20.560978Z")),
			RecordSequence: "00000000", ServerTransactionID: "2", IsLastRecordInTransactionInPartition: true,
			TableName: "t", ModType: "INSERT", ValueCaptureType: "NEW_ROW",
			NumberOfRecordsInTransaction: 1, NumberOfPartitionsInTransaction: 1,
			ColumnTypes: []record.ColumnType{
				{Name: "id", TypeJSON: `{"code":"INT64"}`, IsPrimaryKey: true, OrdinalPosition: 1},
				{Name: "n", TypeJSON: `{"code":"NUMERIC","type_annotation":"PG_NUMERIC"}`, OrdinalPosition: 2},
			},
			Mods: []record.ModJSON{{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{"n":null,"name":"x","ts":"2026-11-25T20:07:20Z"}`, OldValuesJSON: `{}`}},
		}}}},
		{"unknown kind is skipped", `{"partition_event_record":{"x":1}}`, nil},
		{"counts as strings", `{"data_change_record":{"commit_timestamp":"2026-01-01T00:00:00Z","number_of_records_in_transaction":"3","mods":[{"keys":{"k":"1"}}]}}`,
			[]decode.Item{{Data: &record.DataChangeRecord{PartitionToken: "tok", CommitTimestamp: record.FromTime(at("2026-01-01T00:00:00Z")),
				NumberOfRecordsInTransaction: 3, Mods: []record.ModJSON{{KeysJSON: `{"k":"1"}`, NewValuesJSON: "{}", OldValuesJSON: "{}"}}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decode.Postgres([]byte(tc.raw), "tok")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPostgresErrors(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"not JSON", `{"heartbeat_record":`, "decoding change record"},
		{"bad timestamp", `{"heartbeat_record":{"timestamp":"noon"}}`, "heartbeat_record.timestamp"},
		{"bad count", `{"data_change_record":{"commit_timestamp":"2026-01-01T00:00:00Z","number_of_records_in_transaction":"x"}}`, "number_of_records_in_transaction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode.Postgres([]byte(tc.raw), "tok")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Postgres = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestPostgresMatchesGoogleSQL: the same records decode to the same items
// in both dialects.
func TestPostgresMatchesGoogleSQL(t *testing.T) {
	for _, it := range sampleItems() {
		got, err := decode.Postgres([]byte(fakespanner.EncodePostgres(it)), "tok")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]decode.Item{it}, got); diff != "" {
			t.Errorf("(-GoogleSQL item +PostgreSQL decoding):\n%s", diff)
		}
	}
}

// FuzzPostgres: any input either decodes to well-formed items or fails
// with an error; it never panics, and a decoded data record keeps its
// commit time.
func FuzzPostgres(f *testing.F) {
	for _, s := range []string{pgChildren, pgData, pgHeartbeat, `{}`, `null`, `{"data_change_record":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		items, err := decode.Postgres(raw, "tok")
		if err != nil {
			return
		}
		for _, it := range items {
			switch {
			case it.Data != nil:
				if it.Data.PartitionToken != "tok" {
					t.Fatalf("lost the partition token: %+v", it.Data)
				}
				for _, m := range it.Data.Mods {
					if m.KeysJSON == "" || m.NewValuesJSON == "" || m.OldValuesJSON == "" {
						t.Fatalf("empty JSON text in %+v", m)
					}
				}
			case len(it.Children) > 0:
				for _, c := range it.Children {
					if c.Token == "" {
						t.Fatalf("child without a token: %+v", it)
					}
				}
			case it.Heartbeat.IsZero():
				t.Fatalf("item of no kind: %+v", it)
			}
		}
	})
}
