package shadow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
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

// keyTypeMatrix is every key type spelling TestKeyValueSpellings decodes,
// the types keys refuse, and spellings that differ only in case, spaces
// or arguments.
var keyTypeMatrix = []string{
	"INT64", "int64", "bigint", "int8", "STRING(MAX)", "STRING(36)", "string(max)", "character varying(10)",
	"CHARACTER  VARYING(10)", "character varying", "varchar", "text", "UUID", "uuid", "BOOL", "boolean",
	"FLOAT64", "double precision", "float8", "FLOAT32", "real", "float4", "BYTES(MAX)", "BYTES(16)", "bytea",
	"TIMESTAMP", "timestamp with time zone", "timestamptz", "DATE", "date", "NUMERIC", "numeric",
	"numeric(10, 2)", " INT64 ", "decimal", "spanner.commit_timestamp", "JSON", "jsonb", "JSON(x)",
	"ARRAY<INT64>", "bigint[]", "STRUCT<a INT64>", "", "int",
}

// TestKeyCodeMatchesParse: the cached code of every key type is the one
// parsing it now gives, asked first and again (then from the cache) in
// the opposite order, so a cache keyed on less than the exact spelling
// would hand a type another's code.
func TestKeyCodeMatchesParse(t *testing.T) {
	for pass := range 2 {
		for i := range keyTypeMatrix {
			typ := keyTypeMatrix[i]
			if pass == 1 {
				typ = keyTypeMatrix[len(keyTypeMatrix)-1-i]
			}
			if got, want := keyCode(typ), parseKeyCode(typ); got != want {
				t.Errorf("pass %d, keyCode(%q) = %q, want %q", pass, typ, got, want)
			}
		}
	}
}

// freshRuns makes each TestKeyOfConcurrent spell its types anew.
var freshRuns atomic.Int64

// TestKeyOfConcurrent builds keys of tables of both dialects from many
// goroutines at once (run with -race), the types new to the cache (padded
// with trailing spaces, which parsing ignores) so that the goroutines
// race to store them: each key, or error, is the one built alone then.
func TestKeyOfConcurrent(t *testing.T) {
	pad := strings.Repeat(" ", int(freshRuns.Add(1)))
	var tables []schema.SpannerTable
	keys := map[string]json.RawMessage{"a": json.RawMessage(`"7"`), "b": json.RawMessage(`"AQ=="`), "n": json.RawMessage(`null`)}
	for i, typ := range keyTypeMatrix {
		tables = append(tables, schema.SpannerTable{Name: fmt.Sprint("t", i),
			Columns: []schema.SpannerColumn{{Name: "a", Type: typ + pad}, {Name: "b", Type: keyTypeMatrix[len(keyTypeMatrix)-1-i] + pad},
				{Name: "n", Type: typ + pad}},
			PrimaryKey: []schema.KeyPart{{Column: "a"}, {Column: "b"}, {Column: "n"}}})
	}
	buildAll := func() []string {
		var out []string
		for _, tb := range tables {
			k, err := KeyOf(tb, keys)
			out = append(out, fmt.Sprintf("%v %v", k, err))
		}
		return out
	}
	const workers = 8
	got := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { got[w] = buildAll() })
	}
	wg.Wait()
	want := buildAll()
	for w := range workers {
		if !slices.Equal(got[w], want) {
			t.Errorf("worker %d built keys differently from a lone build", w)
		}
	}
}
