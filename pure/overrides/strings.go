package overrides

import (
	"errors"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
)

// ParseStrings reads the tableOverrides and columnOverrides parameters,
// e.g. "[{Singers, Vocalists}, {Albums, Records}]" and
// "[{Singers.SingerName, Singers.TalentName}]". Either may be empty.
func ParseStrings(tableOverrides, columnOverrides string) (mapping.Names, error) {
	r := renames{tables: map[string]string{}, columns: map[string]map[string]string{}}
	var errs []error
	tablePairs, err := parsePairs(tableOverrides)
	if err != nil {
		errs = append(errs, fmt.Errorf("tableOverrides: %w", err))
	}
	for _, p := range tablePairs {
		if prev, dup := r.tables[p[0]]; dup {
			errs = append(errs, fmt.Errorf("tableOverrides: source table %q is renamed twice (to %q and %q)", p[0], prev, p[1]))
			continue
		}
		r.tables[p[0]] = p[1]
	}
	colPairs, err := parsePairs(columnOverrides)
	if err != nil {
		errs = append(errs, fmt.Errorf("columnOverrides: %w", err))
	}
	for _, p := range colPairs {
		srcTable, srcCol, ok1 := strings.Cut(p[0], ".")
		spTable, spCol, ok2 := strings.Cut(p[1], ".")
		switch {
		case !ok1 || !ok2 || srcTable == "" || srcCol == "" || spTable == "" || spCol == "":
			errs = append(errs, fmt.Errorf("columnOverrides: {%s, %s}: each side must be Table.column", p[0], p[1]))
			continue
		case srcTable != spTable:
			errs = append(errs, fmt.Errorf("columnOverrides: {%s, %s}: both sides must name the same (source) table; rename tables with tableOverrides", p[0], p[1]))
			continue
		}
		cols := r.columns[srcTable]
		if cols == nil {
			cols = map[string]string{}
			r.columns[srcTable] = cols
		}
		if prev, dup := cols[srcCol]; dup {
			errs = append(errs, fmt.Errorf("columnOverrides: column %s.%s is renamed twice (to %q and %q)", srcTable, srcCol, prev, spCol))
			continue
		}
		cols[srcCol] = spCol
	}
	if err := errors.Join(errs...); err != nil {
		return mapping.Names{}, err
	}
	n, err := r.names("tableOverrides/columnOverrides")
	if err != nil {
		return mapping.Names{}, fmt.Errorf("tableOverrides/columnOverrides: %w", err)
	}
	return n, nil
}

// parsePairs reads "[{a, b}, {c, d}]". Names are trimmed; they cannot
// contain braces, brackets or commas.
func parsePairs(s string) ([][2]string, error) {
	p := &pairParser{s: s}
	p.space()
	if p.done() {
		return nil, nil
	}
	if err := p.expect('['); err != nil {
		return nil, err
	}
	var out [][2]string
	for {
		p.space()
		if p.peek() == ']' && len(out) == 0 {
			p.i++
			break
		}
		if err := p.expect('{'); err != nil {
			return nil, err
		}
		a, err := p.name()
		if err != nil {
			return nil, err
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		b, err := p.name()
		if err != nil {
			return nil, err
		}
		if err := p.expect('}'); err != nil {
			return nil, err
		}
		out = append(out, [2]string{a, b})
		p.space()
		if p.peek() == ']' {
			p.i++
			break
		}
		if err := p.expect(','); err != nil {
			return nil, fmt.Errorf("%w (or ']')", err)
		}
	}
	p.space()
	if !p.done() {
		return nil, fmt.Errorf("unexpected %q after ']' at character %d", p.s[p.i:], p.i+1)
	}
	return out, nil
}

type pairParser struct {
	s string
	i int
}

func (p *pairParser) done() bool { return p.i >= len(p.s) }

func (p *pairParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *pairParser) space() {
	for !p.done() && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pairParser) expect(c byte) error {
	p.space()
	if p.done() {
		return fmt.Errorf("expected '%c' at the end of %q", c, p.s)
	}
	if p.s[p.i] != c {
		return fmt.Errorf("expected '%c' at character %d of %q, found '%c'", c, p.i+1, p.s, p.s[p.i])
	}
	p.i++
	return nil
}

func (p *pairParser) name() (string, error) {
	start := p.i
	for !p.done() && strings.IndexByte("{}[],", p.s[p.i]) < 0 {
		p.i++
	}
	n := strings.TrimSpace(p.s[start:p.i])
	if n == "" {
		return "", fmt.Errorf("expected a name at character %d of %q", start+1, p.s)
	}
	return n, nil
}
