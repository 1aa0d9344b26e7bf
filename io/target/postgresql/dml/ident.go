package dml

import (
	"errors"
	"fmt"
	"strings"
)

// QuoteIdent double-quotes a PostgreSQL identifier, doubling quotes inside
// it. PostgreSQL identifiers cannot hold NUL, which is dropped (the
// builders refuse such names before quoting).
func QuoteIdent(name string) string {
	name = strings.ReplaceAll(name, "\x00", "")
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Table is a table qualified with its namespace: "ns"."t".
func Table(namespace, table string) string { return QuoteIdent(namespace) + "." + QuoteIdent(table) }

var errNoRows = errors.New("dml: no rows")

func checkIdent(what, name string) error {
	if name == "" {
		return fmt.Errorf("dml: empty %s name", what)
	}
	if strings.ContainsRune(name, 0) {
		return fmt.Errorf("dml: %s name %q contains NUL", what, name)
	}
	return nil
}

func checkTable(namespace, table string) error {
	if err := checkIdent("namespace", namespace); err != nil {
		return err
	}
	return checkIdent("table", table)
}

// checkColumns rejects empty, NUL-holding and duplicate names. PostgreSQL
// names are case-sensitive once quoted, so "ID" and "id" are two columns.
func checkColumns(what string, cols []string) error {
	if len(cols) == 0 {
		return fmt.Errorf("dml: no %s columns", what)
	}
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if err := checkIdent("column", c); err != nil {
			return err
		}
		if seen[c] {
			return fmt.Errorf("dml: duplicate column %q", c)
		}
		seen[c] = true
	}
	return nil
}

// keyPositions finds each key column among cols.
func keyPositions(cols, keys []string) (map[int]bool, error) {
	pos := make(map[string]int, len(cols))
	for i, c := range cols {
		pos[c] = i
	}
	isKey := make(map[int]bool, len(keys))
	for _, k := range keys {
		i, ok := pos[k]
		if !ok {
			return nil, fmt.Errorf("dml: key column %q is not among the columns", k)
		}
		isKey[i] = true
	}
	return isKey, nil
}

// params numbers placeholders.
type params struct {
	b    *strings.Builder
	args []any
}

func (p *params) bind(v any) { p.b.WriteString(p.placeholder(v)) }

// placeholder records v and returns its placeholder.
func (p *params) placeholder(v any) string {
	p.args = append(p.args, v)
	return fmt.Sprintf("$%d", len(p.args))
}
