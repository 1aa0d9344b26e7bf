package record

import (
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name          string
		mod           ModJSON
		keys, newVals int
		wantErr       string
	}{
		{name: "both", mod: ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{"a":1,"b":null}`}, keys: 1, newVals: 2},
		{name: "delete without values", mod: ModJSON{KeysJSON: `{"id":"1"}`}, keys: 1},
		{name: "null values", mod: ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `null`}, keys: 1},
		{name: "bad keys", mod: ModJSON{KeysJSON: `{"id":`}, wantErr: `keys {"id": are not a JSON object`},
		{name: "keys not an object", mod: ModJSON{KeysJSON: `[1]`}, wantErr: "keys [1] are not a JSON object"},
		{name: "trailing data", mod: ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{} {}`}, wantErr: "new values {} {} are not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.mod.Decode()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if failure.Of(err) != failure.Severe {
					t.Errorf("class %v, want severe: retrying cannot fix the text", failure.Of(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Keys) != tt.keys || len(v.New) != tt.newVals || v.New == nil {
				t.Errorf("decoded %d keys, %d new values (nil %v), want %d and %d", len(v.Keys), len(v.New), v.New == nil, tt.keys, tt.newVals)
			}
		})
	}
}
