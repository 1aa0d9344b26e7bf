package mapping

import (
	"errors"
	"fmt"
	"sort"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// CheckNames finds renames that name Spanner tables or columns the
// database does not have: a typo in an override would otherwise silently
// leave the name unmapped. A session file (Listed) describes a whole
// migration, so tables and columns it knows that Spanner lacks are not
// errors (a column dropped from Spanner after the migration is common, and
// the Java template accepts it); the Mapper warns about such columns.
func CheckNames(n Names, sp schema.Spanner) error {
	tables := make([]string, 0, len(n.Tables))
	for t := range n.Tables {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var errs []error
	for _, t := range tables {
		st, ok := sp.Tables[t]
		if !ok && n.Listed {
			continue
		}
		if !ok {
			errs = append(errs, fmt.Errorf("Spanner table %q (for source table %q) does not exist", t, n.Tables[t].Source))
			continue
		}
		cols := make([]string, 0, len(n.Tables[t].Columns))
		for c := range n.Tables[t].Columns {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		for _, c := range cols {
			if _, ok := st.Column(c); !ok && !n.Listed {
				errs = append(errs, fmt.Errorf("Spanner table %q has no column %q (for source column %s.%s)", t, c, n.Tables[t].Source, n.Tables[t].Columns[c]))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", n.originOr("name mapping"), err)
	}
	return nil
}

func (n Names) originOr(def string) string {
	if n.Origin != "" {
		return n.Origin
	}
	return def
}
