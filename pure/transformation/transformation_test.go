package transformation_test

import (
	"encoding/json"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

func TestRequestFor(t *testing.T) {
	r := record.Record{TableName: "T", ModType: "UPDATE", Shard: "s2",
		Mod: record.ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{"id":"999","v":1.5,"b":"aGk="}`}}
	v, err := r.Mod.Decode()
	if err != nil {
		t.Fatal(err)
	}
	req := transformation.RequestFor(r, v)
	b, _ := json.Marshal(req)
	want := `{"tableName":"T","requestRow":{"b":"aGk=","id":"1","v":1.5},"shardId":"s2","eventType":"UPDATE"}`
	if string(b) != want {
		t.Errorf("request %s\nwant    %s (keys win over new values)", b, want)
	}
}
