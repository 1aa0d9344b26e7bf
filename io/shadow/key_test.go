package shadow

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestKeyValueSpellings: every spelling of a key type decodes, in both
// dialects and any case, and the types Parse knows but keys refuse stay
// refused with the error naming the type.
func TestKeyValueSpellings(t *testing.T) {
	ok := map[string]string{
		"INT64": `"7"`, "bigint": `7`, "int8": `"7"`, "STRING(MAX)": `"a"`, "character varying(10)": `"a"`,
		"varchar": `"a"`, "text": `"a"`, "UUID": `"a"`, "BOOL": `true`, "boolean": `true`, "FLOAT64": `1.5`,
		"double precision": `1.5`, "float8": `1.5`, "FLOAT32": `1.5`, "real": `1.5`, "float4": `1.5`,
		"BYTES(MAX)": `"AQ=="`, "bytea": `"AQ=="`, "TIMESTAMP": `"2024-01-02T03:04:05Z"`,
		"timestamp with time zone": `"2024-01-02T03:04:05Z"`, "timestamptz": `"2024-01-02T03:04:05Z"`,
		"DATE": `"2024-01-02"`, "NUMERIC": `"1.5"`, "numeric": `"1.5"`, "int64": `"7"`,
	}
	for typ, raw := range ok {
		if _, err := keyValue(typ, json.RawMessage(raw)); err != nil {
			t.Errorf("keyValue(%s, %s): %v", typ, raw, err)
		}
		if _, err := keyValue(typ, json.RawMessage("null")); err != nil {
			t.Errorf("keyValue(%s, null): %v", typ, err)
		}
	}
	for _, typ := range []string{"decimal", "spanner.commit_timestamp", "JSON", "jsonb", "ARRAY<INT64>", "bigint[]"} {
		if _, err := keyValue(typ, json.RawMessage(`"1"`)); err == nil || !strings.Contains(err.Error(), "cannot be a key column here") {
			t.Errorf("keyValue(%s) = %v, want refused", typ, err)
		}
	}
	if _, err := keyValue("numeric(10, 2)", json.RawMessage("null")); err != nil {
		t.Errorf("NULL numeric(10, 2): %v", err)
	}
	if _, err := keyValue("JSON(x)", json.RawMessage("null")); err == nil || err.Error() != "type JSON cannot be a key column here" {
		t.Errorf("NULL JSON(x): %v", err)
	}
}
