package overrides

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/jsonerr"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// overridesFile is the schema overrides file:
//
//	{"renamedTables": {"srcTable": "spTable"},
//	 "renamedColumns": {"srcTable": {"srcCol": "spCol"}}}
type overridesFile struct {
	RenamedTables  map[string]string            `json:"renamedTables"`
	RenamedColumns map[string]map[string]string `json:"renamedColumns"`
}

// ParseFile reads a schema overrides file. Unknown keys are errors, so that
// a misspelt "renamedColumn" is not silently ignored. origin (the file's
// path) names it in messages the result produces later.
func ParseFile(data []byte, origin string) (mapping.Names, error) {
	var f overridesFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return mapping.Names{}, jsonerr.Describe(data, err, `schema overrides file ({"renamedTables": {...}, "renamedColumns": {...}})`)
	}
	if dec.More() {
		return mapping.Names{}, fmt.Errorf("data after the JSON object at %s", jsonerr.LineCol(data, dec.InputOffset()))
	}
	for src, sp := range f.RenamedTables {
		if src == "" || sp == "" {
			return mapping.Names{}, fmt.Errorf("renamedTables: empty table name in %q: %q", src, sp)
		}
	}
	for table, cols := range f.RenamedColumns {
		for src, sp := range cols {
			if table == "" || src == "" || sp == "" {
				return mapping.Names{}, fmt.Errorf("renamedColumns: empty name in table %q: %q: %q", table, src, sp)
			}
		}
	}
	r := renames{tables: f.RenamedTables, columns: f.RenamedColumns}
	if r.tables == nil {
		r.tables = map[string]string{}
	}
	return r.names("schema overrides file " + origin)
}
