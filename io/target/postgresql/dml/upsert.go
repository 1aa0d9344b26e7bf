package dml

import (
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Upsert builds INSERT INTO "ns"."t" ("a","b") OVERRIDING SYSTEM VALUE
// VALUES ($1,$2),... ON
// CONFLICT ("k") DO UPDATE SET "b"=EXCLUDED."b", or DO NOTHING when every
// column is a key column. The conflict target is the primary key, so a
// row never lands in a row of another key through it; a clash on another
// unique index fails the statement (the writer writes such tables row by
// row, see the unique path of the session).
func Upsert(namespace, table string, cols, keyCols []string, rows [][]any) (Statement, error) {
	if err := checkTable(namespace, table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("insert", cols); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("key", keyCols); err != nil {
		return Statement{}, err
	}
	isKey, err := keyPositions(cols, keyCols)
	if err != nil {
		return Statement{}, err
	}
	if len(rows) == 0 {
		return Statement{}, errNoRows
	}
	if err := target.CheckParams(len(rows)*len(cols), MaxParams); err != nil {
		return Statement{}, err
	}
	var b strings.Builder
	p := params{b: &b, args: make([]any, 0, len(rows)*len(cols))}
	b.WriteString("INSERT INTO ")
	b.WriteString(Table(namespace, table))
	b.WriteString(" (")
	writeList(&b, cols)
	// The values come from Spanner, identity columns included: a
	// GENERATED ALWAYS identity refuses them without this clause (and it
	// changes nothing for a table without one).
	b.WriteString(") OVERRIDING SYSTEM VALUE VALUES ")
	for i, r := range rows {
		if len(r) != len(cols) {
			return Statement{}, fmt.Errorf("dml: row %d has %d values for %d columns", i, len(r), len(cols))
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j, v := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			p.bind(v)
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT (")
	writeList(&b, keyCols)
	b.WriteString(") DO ")
	first := true
	for i, c := range cols {
		if isKey[i] {
			continue
		}
		if first {
			b.WriteString("UPDATE SET ")
		} else {
			b.WriteByte(',')
		}
		first = false
		q := QuoteIdent(c)
		b.WriteString(q)
		b.WriteString("=EXCLUDED.")
		b.WriteString(q)
	}
	if first {
		b.WriteString("NOTHING")
	}
	return Statement{SQL: b.String(), Args: p.args}, nil
}

// Insert builds a plain multi-row INSERT (no conflict clause): a clash on
// any unique index fails it.
func Insert(namespace, table string, cols []string, rows [][]any) (Statement, error) {
	if err := checkTable(namespace, table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("insert", cols); err != nil {
		return Statement{}, err
	}
	if len(rows) == 0 {
		return Statement{}, errNoRows
	}
	if err := target.CheckParams(len(rows)*len(cols), MaxParams); err != nil {
		return Statement{}, err
	}
	var b strings.Builder
	p := params{b: &b}
	b.WriteString("INSERT INTO ")
	b.WriteString(Table(namespace, table))
	b.WriteString(" (")
	writeList(&b, cols)
	// The values come from Spanner, identity columns included: a
	// GENERATED ALWAYS identity refuses them without this clause (and it
	// changes nothing for a table without one).
	b.WriteString(") OVERRIDING SYSTEM VALUE VALUES ")
	for i, r := range rows {
		if len(r) != len(cols) {
			return Statement{}, fmt.Errorf("dml: row %d has %d values for %d columns", i, len(r), len(cols))
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j, v := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			p.bind(v)
		}
		b.WriteByte(')')
	}
	return Statement{SQL: b.String(), Args: p.args}, nil
}

// Update builds UPDATE "ns"."t" SET "b"=$1 WHERE "k"=$2 for one row: it
// can only change the row of its own key. With only key columns it sets
// the first key column to itself, so the row count still tells whether the
// row exists.
func Update(namespace, table string, cols, keyCols []string, row []any) (Statement, error) {
	if err := checkTable(namespace, table); err != nil {
		return Statement{}, err
	}
	if err := checkColumns("update", cols); err != nil {
		return Statement{}, err
	}
	if len(keyCols) == 0 {
		return Statement{}, fmt.Errorf("dml: an UPDATE without key columns would change every row")
	}
	if err := checkColumns("key", keyCols); err != nil {
		return Statement{}, err
	}
	if len(row) != len(cols) {
		return Statement{}, fmt.Errorf("dml: %d values for %d columns", len(row), len(cols))
	}
	isKey, err := keyPositions(cols, keyCols)
	if err != nil {
		return Statement{}, err
	}
	var b strings.Builder
	p := params{b: &b}
	b.WriteString("UPDATE ")
	b.WriteString(Table(namespace, table))
	b.WriteString(" SET ")
	first := true
	for i, c := range cols {
		if isKey[i] {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(QuoteIdent(c))
		b.WriteByte('=')
		p.bind(row[i])
	}
	if first {
		q := QuoteIdent(keyCols[0])
		b.WriteString(q + "=" + q)
	}
	b.WriteString(" WHERE ")
	pos := make(map[string]int, len(cols))
	for i, c := range cols {
		pos[c] = i
	}
	for j, k := range keyCols {
		if j > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(QuoteIdent(k))
		if v := row[pos[k]]; target.IsNull(v) {
			b.WriteString(" IS NULL")
		} else {
			b.WriteByte('=')
			p.bind(v)
		}
	}
	return Statement{SQL: b.String(), Args: p.args}, nil
}

func writeList(b *strings.Builder, names []string) {
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteIdent(n))
	}
}
