// Package session reads the parts of a spanner-migration-tool session file
// that reverse replication needs: which source table and columns each
// Spanner table and column came from, the shard-id column of sharded
// migrations, and synthetic keys. It is pure: the file arrives as bytes.
//
// The session file describes both schemas by id: SpSchema and SrcSchema are
// maps from table id to table, and a table's ColDefs map column ids to
// columns. A Spanner table and a source table with the same id are the same
// table; a column id present on both sides is the same column. Columns only
// in SpSchema (a synthetic key, a migration_shard_id added for a sharded
// migration) do not exist at the source. Types in the file are ignored: the
// live schemas are read at launch.
package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/jsonerr"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

type file struct {
	SpSchema       map[string]table        `json:"SpSchema"`
	SrcSchema      map[string]table        `json:"SrcSchema"`
	SyntheticPKeys map[string]syntheticKey `json:"SyntheticPKeys"`
}

type table struct {
	Name          string            `json:"Name"`
	ColIds        []string          `json:"ColIds"`
	ColDefs       map[string]colDef `json:"ColDefs"`
	ShardIDColumn string            `json:"ShardIdColumn"`
}

type colDef struct {
	Name string `json:"Name"`
}

type syntheticKey struct {
	ColID string `json:"ColId"`
}

// Parse reads a session file. origin (its path) names it in the result's
// messages; errors say what is wrong and where, but not which file: the
// caller adds that.
func Parse(data []byte, origin string) (mapping.Names, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return mapping.Names{}, jsonerr.Describe(data, err, "session file")
	}
	if _, ok := doc.(map[string]any); !ok {
		return mapping.Names{}, errors.New("not a session file: the top level is not a JSON object")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return mapping.Names{}, jsonerr.Describe(data, err, "session file")
	}
	for _, k := range []string{"SpSchema", "SrcSchema"} {
		if v, ok := top[k]; !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return mapping.Names{}, fmt.Errorf("not a session file: the top-level %q object is missing", k)
		}
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return mapping.Names{}, jsonerr.Describe(data, err, "session file")
	}
	names := mapping.Names{Listed: true, Origin: "session file " + origin, Tables: map[string]mapping.TableNames{}}
	var errs []error
	spannerIDs := map[string]string{} // Spanner table name -> table id
	for _, id := range sortedKeys(f.SpSchema) {
		sp := f.SpSchema[id]
		where := fmt.Sprintf("SpSchema table %s", id)
		if sp.Name == "" {
			errs = append(errs, fmt.Errorf("%s has no Name", where))
			continue
		}
		where = fmt.Sprintf("SpSchema table %s (%q)", id, sp.Name)
		if other, dup := spannerIDs[sp.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: table %s has the same name", where, other))
			continue
		}
		spannerIDs[sp.Name] = id
		if err := checkColumns(where, sp); err != nil {
			errs = append(errs, err)
			continue
		}
		tn := mapping.TableNames{Columns: map[string]string{}}
		if sp.ShardIDColumn != "" {
			c, ok := sp.ColDefs[sp.ShardIDColumn]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: ShardIdColumn %q is not one of its ColDefs", where, sp.ShardIDColumn))
				continue
			}
			tn.ShardIDColumn = c.Name
		}
		if k, ok := f.SyntheticPKeys[id]; ok && k.ColID != "" {
			if c, ok := sp.ColDefs[k.ColID]; ok {
				tn.SyntheticKey = c.Name
			}
		}
		src, ok := f.SrcSchema[id]
		if !ok {
			// A table created in Spanner only: not at the source, but
			// its shard-id column may still matter for routing.
			names.Tables[sp.Name] = tn
			continue
		}
		if src.Name == "" {
			errs = append(errs, fmt.Errorf("SrcSchema table %s (source of Spanner table %q) has no Name", id, sp.Name))
			continue
		}
		if err := checkColumns(fmt.Sprintf("SrcSchema table %s (%q)", id, src.Name), src); err != nil {
			errs = append(errs, err)
			continue
		}
		tn.Source = src.Name
		for colID, c := range sp.ColDefs {
			if sc, ok := src.ColDefs[colID]; ok {
				tn.Columns[c.Name] = sc.Name
			}
		}
		names.Tables[sp.Name] = tn
	}
	if err := errors.Join(errs...); err != nil {
		return mapping.Names{}, err
	}
	return names, nil
}

// checkColumns rejects tables whose columns cannot be told apart.
func checkColumns(where string, t table) error {
	seen := map[string]string{}
	for _, id := range sortedKeys(t.ColDefs) {
		c := t.ColDefs[id]
		if c.Name == "" {
			return fmt.Errorf("%s: column %s has no Name", where, id)
		}
		k := strings.ToLower(c.Name)
		if other, dup := seen[k]; dup {
			return fmt.Errorf("%s: columns %s and %s are both named %q", where, other, id, c.Name)
		}
		seen[k] = id
	}
	for _, id := range t.ColIds {
		if _, ok := t.ColDefs[id]; !ok {
			return fmt.Errorf("%s: ColIds lists %s, which is not in ColDefs", where, id)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
