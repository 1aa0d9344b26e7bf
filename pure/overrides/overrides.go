// Package overrides reads table and column renames given as launch
// parameters (tableOverrides, columnOverrides) or as a schema overrides
// file (schemaOverridesFilePath). It is pure: strings and bytes in,
// mapping.Names out.
//
// Every rename is written source name first, then Spanner name, and column
// renames are grouped by source table name, as the Java template's parser
// reads them (its help text says the opposite order; its code and tests use
// this one). Names not renamed map to themselves.
package overrides

import (
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// renames is the common form of both inputs.
type renames struct {
	tables  map[string]string            // source table -> Spanner table
	columns map[string]map[string]string // source table -> source column -> Spanner column
}

// names turns renames into a mapping keyed by Spanner names, rejecting
// renames that would make two names collide.
func (r renames) names(origin string) (mapping.Names, error) {
	n := mapping.Names{Origin: origin, Tables: map[string]mapping.TableNames{}}
	spannerOf := func(src string) string {
		if sp, ok := r.tables[src]; ok {
			return sp
		}
		return src
	}
	bySpanner := map[string]string{}
	for src, sp := range r.tables {
		if other, dup := bySpanner[sp]; dup {
			return mapping.Names{}, fmt.Errorf("source tables %q and %q are both renamed to Spanner table %q", min(src, other), max(src, other), sp)
		}
		bySpanner[sp] = src
		n.Tables[sp] = mapping.TableNames{Source: src}
	}
	for src, cols := range r.columns {
		sp := spannerOf(src)
		if _, renamed := r.tables[src]; !renamed {
			if other, taken := bySpanner[sp]; taken {
				return mapping.Names{}, fmt.Errorf("column renames of source table %q: Spanner table %q is the rename of source table %q", src, sp, other)
			}
		}
		t := n.Tables[sp]
		t.Source = src
		t.Columns = map[string]string{}
		spCols := map[string]string{}
		for srcCol, spCol := range cols {
			if other, dup := spCols[spCol]; dup {
				return mapping.Names{}, fmt.Errorf("table %q: source columns %q and %q are both renamed to Spanner column %q", src, min(srcCol, other), max(srcCol, other), spCol)
			}
			spCols[spCol] = srcCol
			t.Columns[spCol] = srcCol
		}
		n.Tables[sp] = t
	}
	return n, nil
}
