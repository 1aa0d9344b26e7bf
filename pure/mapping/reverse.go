package mapping

import "strings"

// KeySource is a Spanner primary-key column and the source primary-key
// column it feeds.
type KeySource struct {
	Spanner, Source string
	// SpannerType is the Spanner column's type as written in DDL.
	SpannerType string
}

// KeySources returns, in Spanner key order, the source primary-key column
// fed by each Spanner key column of spannerTable: what finds the Spanner
// row of a source row from its primary key alone (runMode=verify, for a
// row Spanner does not have). ok is false when some Spanner key column
// feeds no source key column.
func (m *Mapper) KeySources(spannerTable string) ([]KeySource, bool) {
	p, err := m.plan(spannerTable)
	if err != nil || p.err != nil {
		return nil, false
	}
	inPK := map[string]bool{}
	for _, i := range p.pk {
		inPK[strings.ToLower(p.cols[i].src.Name)] = true
	}
	var out []KeySource
	for _, k := range p.spanner.PrimaryKey {
		found := false
		for _, c := range p.cols {
			if c.spanner == k.Column && inPK[strings.ToLower(c.src.Name)] {
				sc, _ := p.spanner.Column(k.Column)
				out = append(out, KeySource{Spanner: k.Column, Source: c.src.Name, SpannerType: sc.Type})
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}
