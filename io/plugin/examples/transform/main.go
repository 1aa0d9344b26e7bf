//go:build wasip1

// Command wasmexample is an example custom transformation module. Build it
// with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o transform_example.wasm ./io/plugin/examples/transform
//
// (make wasm-example) and launch with transformationJarPath=<that file>,
// transformationClassName=transform and transformationCustomParameters
// such as
//
//	{"upper": ["name"],
//	 "concat": {"target": "full_name", "columns": ["first_name", "last_name"], "separator": " "},
//	 "filter": {"column": "status", "equals": "draft"},
//	 "require": {"People": ["name"]}}
//
// For inserts and updates it upper-cases the listed string columns,
// fills a source column from the concatenation of others (a column Spanner
// does not have), and rejects changes of a table that lack one of its
// required columns (the change goes to severe/ with the message). Changes whose column equals the
// filter value are filtered out, whatever their type. Column names are
// taken to be the same in Spanner and at the source.
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin/guest"
)

type params struct {
	Upper  []string `json:"upper"`
	Concat *struct {
		Target    string   `json:"target"`
		Columns   []string `json:"columns"`
		Separator string   `json:"separator"`
	} `json:"concat"`
	Filter *struct {
		Column string `json:"column"`
		Equals string `json:"equals"`
	} `json:"filter"`
	Require map[string][]string `json:"require"` // by table
}

var cfg params

func init() {
	guest.Init = func(p string) error {
		if p == "" {
			return nil
		}
		if err := json.Unmarshal([]byte(p), &cfg); err != nil {
			return fmt.Errorf("parameters %q: %w", p, err)
		}
		if cfg.Concat != nil && (cfg.Concat.Target == "" || len(cfg.Concat.Columns) == 0) {
			return fmt.Errorf("concat needs a target and columns")
		}
		return nil
	}
}

// request and response are the Java interface's JSON shapes.
type request struct {
	TableName  string                     `json:"tableName"`
	RequestRow map[string]json.RawMessage `json:"requestRow"`
	ShardID    string                     `json:"shardId"`
	EventType  string                     `json:"eventType"`
}

type response struct {
	ResponseRow     map[string]any `json:"responseRow,omitempty"`
	IsEventFiltered bool           `json:"isEventFiltered"`
}

// text returns a column's value if it is a JSON string.
func text(row map[string]json.RawMessage, col string) (string, bool) {
	var s string
	if err := json.Unmarshal(row[col], &s); err != nil {
		return "", false
	}
	return s, true
}

func transform(in []byte) ([]byte, error) {
	var req request
	if err := json.Unmarshal(in, &req); err != nil {
		return nil, err
	}
	if f := cfg.Filter; f != nil {
		if v, ok := text(req.RequestRow, f.Column); ok && v == f.Equals {
			return json.Marshal(response{IsEventFiltered: true})
		}
	}
	if req.EventType == "DELETE" {
		return json.Marshal(response{})
	}
	for _, c := range cfg.Require[req.TableName] {
		if v, ok := req.RequestRow[c]; !ok || string(v) == "null" {
			return nil, fmt.Errorf("table %s: required column %s is missing or null", req.TableName, c)
		}
	}
	out := map[string]any{}
	for _, c := range cfg.Upper {
		if v, ok := text(req.RequestRow, c); ok {
			out[c] = strings.ToUpper(v)
		}
	}
	if c := cfg.Concat; c != nil {
		var parts []string
		for _, col := range c.Columns {
			if v, ok := text(req.RequestRow, col); ok {
				parts = append(parts, v)
			}
		}
		out[c.Target] = strings.Join(parts, c.Separator)
	}
	return json.Marshal(response{ResponseRow: out})
}

//go:wasmexport transform
func transformExport(ptr, n uint32) uint64 { return guest.Serve(ptr, n, transform) }

// main is not run: a reactor module only runs its exports.
func main() {}
