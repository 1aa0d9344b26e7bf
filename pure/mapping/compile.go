package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// column is one source column and the Spanner column that feeds it.
type column struct {
	src schema.SourceColumn
	// spanner is the Spanner column, "" when the source column has none
	// (a source-only column: never written, unless a custom
	// transformation supplies it).
	spanner     string
	typ         spannertype.Type
	typErr      error // the Spanner type cannot be decoded
	spKey       bool  // part of the Spanner primary key: always in the keys
	spGenerated bool  // generated in Spanner: absent from change records
}

// tableMap is how changes of one Spanner table become MySQL rows, worked
// out once per table.
type tableMap struct {
	spanner schema.SpannerTable
	// err, when set, is returned for every change of the table.
	err error
	// source is the MySQL table; cols are its columns in source order.
	source schema.SourceTable
	cols   []column
	// byName finds a column by lower-cased source name (MySQL column names
	// are case-insensitive).
	byName map[string]int
	// pk are the source primary-key columns written by upserts (generated
	// ones are computed by MySQL).
	pk []int
	// deleteBy identify the row of a DELETE: the source primary key, or,
	// when MySQL generates part of it, every non-generated column with a
	// Spanner counterpart (a generated key is a function of those).
	deleteBy []int
	// lockBy, set when the target generates part of the primary key, are
	// the key columns of both pk and deleteBy, in key order: what every
	// change of a row carries, so what its key lock hashes (Row.LockKey).
	// Not empty-but-nil: a key the target generates whole gives an empty
	// lockBy, one lock for the table.
	lockBy []int
	// deleteNeedsRow: some deleteBy column is not a Spanner key column,
	// so a NEW_ROW delete (keys only) needs the row read from Spanner.
	deleteNeedsRow bool
	// deleteErr: a deleteBy column cannot be compared exactly with a
	// bound value (Values.KeyComparable), so a DELETE would never find
	// its row. The launch refuses the mapping (Mapper.CheckDeletes).
	deleteErr error
	// generated are the Spanner non-key generated columns that feed
	// written source columns: change records leave them out.
	generated []string
	// warnings explain at launch what will not replicate.
	warnings []string
}

func (m *Mapper) compile() {
	m.plans = make(map[string]*tableMap, len(m.Spanner.Tables))
	lowerSource := map[string][]string{}
	for name := range m.Source.Tables {
		l := strings.ToLower(name)
		lowerSource[l] = append(lowerSource[l], name)
	}
	for name, t := range m.Spanner.Tables {
		m.plans[name] = m.compileTable(t, lowerSource)
	}
}

func (m *Mapper) compileTable(t schema.SpannerTable, lowerSource map[string][]string) *tableMap {
	p := &tableMap{spanner: t}
	srcName, ok := m.Names.SourceTable(t.Name)
	if !ok {
		p.err = fmt.Errorf("table %q: %w (the %s does not map it to a source table)", t.Name, ErrTableNotAtSource, m.origin())
		return p
	}
	src, ok := m.Source.Tables[srcName]
	if !ok {
		// MySQL table names are case-sensitive or not depending on the
		// server's platform; accept a different case when it is unique.
		if cands := lowerSource[strings.ToLower(srcName)]; len(cands) == 1 {
			src, ok = m.Source.Tables[cands[0]]
		}
	}
	if !ok {
		p.err = fmt.Errorf("table %q: %w (no source table %q)", t.Name, ErrTableNotAtSource, srcName)
		return p
	}
	p.source = src

	// Which Spanner column feeds each source column: identical names
	// first, then explicit renames, which win.
	feeds := map[string]string{}
	for _, explicitPass := range []bool{false, true} {
		for _, c := range t.Columns {
			name, explicit, ok := m.Names.SourceColumn(t.Name, c.Name)
			if ok && explicit == explicitPass {
				feeds[strings.ToLower(name)] = c.Name
			}
		}
	}
	isKey := map[string]bool{}
	for _, k := range t.PrimaryKey {
		isKey[k.Column] = true
	}
	p.byName = make(map[string]int, len(src.Columns))
	for i, sc := range src.Columns {
		c := column{src: sc}
		if sp, ok := feeds[strings.ToLower(sc.Name)]; ok {
			spc, _ := t.Column(sp)
			c.spanner, c.spKey, c.spGenerated = sp, isKey[sp], spc.Generated
			c.typ, c.typErr = spannertype.Parse(spc.Type)
		}
		p.cols = append(p.cols, c)
		p.byName[strings.ToLower(sc.Name)] = i
		if c.spGenerated && !c.spKey && !sc.Generated {
			p.generated = append(p.generated, c.spanner)
		}
	}
	if m.Names.Listed {
		mapped := make([]string, 0, len(m.Names.Tables[t.Name].Columns))
		for c := range m.Names.Tables[t.Name].Columns {
			mapped = append(mapped, c)
		}
		sort.Strings(mapped)
		for _, c := range mapped {
			if _, ok := t.Column(c); !ok {
				p.warnings = append(p.warnings, fmt.Sprintf(
					"table %q: the %s maps Spanner column %q, which Spanner lacks, to source column %q; that source column is not written",
					t.Name, m.origin(), c, m.Names.Tables[t.Name].Columns[c]))
			}
		}
	}
	for _, c := range t.Columns {
		// A mapping naming a source column the table lacks (a typo, or
		// a column dropped since) leaves the Spanner column unwritten.
		if name, explicit, ok := m.Names.SourceColumn(t.Name, c.Name); ok && explicit {
			if _, found := p.byName[strings.ToLower(name)]; !found {
				p.warnings = append(p.warnings, fmt.Sprintf(
					"table %q: the %s maps Spanner column %q to source column %q, which source table %s lacks; the column is not replicated",
					t.Name, m.origin(), c.Name, name, src.Name))
			}
		}
	}
	if len(src.PrimaryKey) == 0 {
		why := "it has no primary key, so changes cannot be applied to it"
		if k := m.Names.Tables[t.Name].SyntheticKey; k != "" {
			why += fmt.Sprintf(" (Spanner's key %q is a synthetic key that the source does not have)", k)
		}
		p.err = tableErr(t.Name, "source table %q: %s", src.Name, why)
		return p
	}
	generatedKey := false
	for _, k := range src.PrimaryKey {
		i, ok := p.byName[strings.ToLower(k)]
		if !ok {
			p.err = tableErr(t.Name, "source table %q: primary-key column %q is not among its columns", src.Name, k)
			return p
		}
		c := p.cols[i]
		if c.src.Generated {
			generatedKey = true
			continue
		}
		p.pk = append(p.pk, i)
		if c.spanner == "" {
			p.warnings = append(p.warnings, fmt.Sprintf(
				"table %q: source key column %s.%s has no Spanner column, so its changes go to severe unless a custom transformation supplies it",
				t.Name, src.Name, c.src.Name))
		}
	}
	p.deleteBy = p.pk
	if generatedKey {
		p.deleteBy = nil
		for i, c := range p.cols {
			if !c.src.Generated && c.spanner != "" {
				p.deleteBy = append(p.deleteBy, i)
			}
		}
		p.lockBy = []int{}
		for _, i := range p.pk {
			if slices.Contains(p.deleteBy, i) {
				p.lockBy = append(p.lockBy, i)
			}
		}
	}
	for _, i := range p.deleteBy {
		if !p.cols[i].spKey {
			p.deleteNeedsRow = true
		}
		if err := m.Values.KeyComparable(p.cols[i].src); err != nil && p.deleteErr == nil {
			how := "its primary key"
			if generatedKey {
				how = "every column it does not generate (MySQL generates part of its primary key)"
			}
			p.deleteErr = &Error{Table: t.Name, Column: p.cols[i].src.Name, Err: fmt.Errorf(
				"a DELETE finds a row of source table %s by %s, but column %s (%s) never matches exactly: %w",
				src.Name, how, p.cols[i].src.Name, p.cols[i].src.ColumnType, err)}
		}
	}
	if p.deleteNeedsRow {
		p.warnings = append(p.warnings, fmt.Sprintf(
			"table %q: the source key of %s is not Spanner's key, so each delete reads the deleted row from Spanner; a delete replicated later than the database's version_retention_period goes to severe",
			t.Name, src.Name))
	}
	return p
}

func (m *Mapper) origin() string { return m.Names.originOr("name mapping") }
