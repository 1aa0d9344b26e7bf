package spannerread

import (
	"bytes"
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// wireJSON renders a value in Spanner's wire encoding, which is the change
// stream's. protojson adds random spaces on purpose (so nobody relies on
// its layout); compacting makes the text stable, as DLQ lines and shard
// keys built from it need.
func wireJSON(v *structpb.Value) (json.RawMessage, error) {
	b, err := protojson.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
