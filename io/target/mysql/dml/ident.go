package dml

import (
	"errors"
	"fmt"
	"strings"
)

// QuoteIdent back-quotes a MySQL identifier, doubling any backtick inside it.
//
// MySQL identifiers cannot contain NUL (U+0000), so QuoteIdent removes NUL
// bytes instead of producing SQL the server rejects. Because removal can make
// two distinct names collide, Upsert and Delete refuse names containing NUL
// outright; QuoteIdent's removal is only a last line of defence for other
// callers.
func QuoteIdent(name string) string {
	name = strings.ReplaceAll(name, "\x00", "")
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// checkIdent rejects names the server would refuse or that QuoteIdent would
// have to alter.
func checkIdent(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("dml: empty %s name", kind)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("dml: %s name %q contains a NUL byte", kind, name)
	}
	return nil
}

// checkColumns validates a column list: names must be valid and distinct.
// MySQL column names are case-insensitive, so "ID" and "id" are duplicates.
func checkColumns(kind string, cols []string) error {
	if len(cols) == 0 {
		return fmt.Errorf("dml: no %s columns", kind)
	}
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if err := checkIdent("column", c); err != nil {
			return err
		}
		k := strings.ToLower(c)
		if seen[k] {
			return fmt.Errorf("dml: duplicate %s column %q", kind, c)
		}
		seen[k] = true
	}
	return nil
}

var errNoRows = errors.New("dml: no rows")
