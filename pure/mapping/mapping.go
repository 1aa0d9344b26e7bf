// Package mapping turns a Spanner change of one row into the MySQL row to
// write: which table, which columns, which values, which key. It is pure:
// schemas and names come in as data, values go out as driver arguments.
//
// Names are mapped by Names (identity, a session file or overrides); types
// are converted by io/target/mysql/convert from the Spanner column's type into
// the MySQL column as information_schema describes it. Spanner-only columns
// (a synthetic key, a shard-id column the source lacks) are never written,
// nor are generated MySQL columns.
package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Row is one MySQL row change.
type Row struct {
	Table  string
	Delete bool
	// Filtered rows were dropped by a custom transformation: nothing is
	// written, but the change still counts as applied.
	Filtered   bool
	Columns    []string // for upserts: every written column, keys included
	Values     []any
	KeyColumns []string
	KeyValues  []any
	// LockKey names the row for the writers' key locks (pure/keylock),
	// which every change of the row must compute alike; nil means
	// KeyValues. It is set where KeyValues differ between an upsert and
	// a delete of the same row: a table whose primary key the target
	// partly generates, where a delete finds its row by every column it
	// does not generate (see compile's deleteBy). It then holds the values
	// of the primary-key columns both carry (lockBy), in key order.
	LockKey []any
}

// Mapper maps changes of the Spanner tables to their source tables. Set
// its fields before the first call and do not change them afterwards: the
// per-table plans are worked out once. It is safe for concurrent use.
type Mapper struct {
	Spanner schema.Spanner
	Source  schema.Source
	// Names maps table and column names; the zero value is the identity.
	Names Names
	// TZ is the source database's zone (sourceDbTimezoneOffset).
	TZ *time.Location
	// Values converts values into the target's (its Target.Values; for
	// MySQL, io/target/mysql/convert). Required.
	Values Values

	once  sync.Once
	plans map[string]*tableMap
}

func (m *Mapper) plan(table string) (*tableMap, error) {
	m.once.Do(m.compile)
	p, ok := m.plans[table]
	if !ok {
		return nil, fmt.Errorf("table %q is not in the Spanner schema read at launch", table)
	}
	return p, nil
}

// Check returns the error that every change of spannerTable fails with
// (not in the Spanner schema, ErrTableNotAtSource, a table that cannot be
// mapped), or nil: a stage checks it before it decodes a change's values,
// so that a change of a table not at the source is skipped whatever its
// values.
func (m *Mapper) Check(spannerTable string) error {
	p, err := m.plan(spannerTable)
	if err != nil {
		return err
	}
	return p.err
}

// AtSource reports whether the Spanner table has a table at the source.
func (m *Mapper) AtSource(spannerTable string) bool {
	p, err := m.plan(spannerTable)
	return err == nil && p.source.Name != ""
}

// SourceTable returns the source table that changes of spannerTable are
// written to, if it has one (not when the table does not replicate or its
// mapping failed).
func (m *Mapper) SourceTable(spannerTable string) (string, bool) {
	p, err := m.plan(spannerTable)
	if err != nil || p.err != nil || p.source.Name == "" {
		return "", false
	}
	return p.source.Name, true
}

// ShardIDColumn returns the Spanner column whose value names the logical
// shard of a row of spannerTable (from the session file), if any.
func (m *Mapper) ShardIDColumn(spannerTable string) (string, bool) {
	return m.Names.ShardIDColumn(spannerTable)
}

// Warnings lists, per table in name order, what will not replicate as the
// schemas stand: tables missing at the source, source tables without a
// primary key, key columns without a Spanner column, deletes that need a
// read from Spanner. They are for the launch log.
func (m *Mapper) Warnings() []string {
	m.once.Do(m.compile)
	names := make([]string, 0, len(m.plans))
	for n := range m.plans {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		p := m.plans[n]
		if p.err != nil {
			out = append(out, p.err.Error()+"; its changes go to "+fate(p.err))
		}
		out = append(out, p.warnings...)
	}
	return out
}

// CheckDeletes returns, for every table in name order, why its DELETEs
// could never find their row (see Values.KeyComparable); the launch
// refuses such a mapping rather than leave deleted rows in MySQL.
func (m *Mapper) CheckDeletes() error {
	m.once.Do(m.compile)
	names := make([]string, 0, len(m.plans))
	for n := range m.plans {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		if p := m.plans[n]; p.err == nil && p.deleteErr != nil {
			errs = append(errs, p.deleteErr)
		}
	}
	return errors.Join(errs...)
}

func fate(err error) string {
	if isNotAtSource(err) {
		return "the skip directory"
	}
	return "severe"
}

// ToSource decodes and maps one record (a stage that also reads the
// record's values elsewhere decodes them once and calls ToSourceWith).
func (m *Mapper) ToSource(r record.Record) (Row, error) {
	v, err := r.Mod.Decode()
	if err != nil {
		return Row{}, tableErr(r.TableName, "%w", err)
	}
	return m.ToSourceWith(r, v, nil)
}

// ToSourceWith maps one record whose keys and new values are v (decoded
// from r.Mod), taking the values of the source columns named in custom (a
// custom transformation's responseRow, keyed by source column name) from
// there instead of from the record. See customValue for how those values
// are read.
func (m *Mapper) ToSourceWith(r record.Record, v record.Values, custom map[string]json.RawMessage) (Row, error) {
	p, err := m.plan(r.TableName)
	if err != nil {
		return Row{}, err
	}
	if p.err != nil {
		return Row{}, p.err
	}
	keys, vals := v.Keys, v.New
	over, err := p.customColumns(custom)
	if err != nil {
		return Row{}, err
	}
	value := func(i int) (any, bool, error) {
		c := p.cols[i]
		if raw, ok := over[i]; ok {
			v, err := customValue(m.Values, raw, c.src, m.TZ)
			if err != nil {
				return nil, false, &Error{Table: r.TableName, Column: c.src.Name, Err: fmt.Errorf("custom transformation value: %w", err)}
			}
			return v, true, nil
		}
		if c.spanner == "" {
			return nil, false, nil
		}
		raw, ok := keys[c.spanner]
		if !ok {
			raw, ok = vals[c.spanner]
		}
		if !ok {
			return nil, false, nil
		}
		if c.typErr != nil {
			return nil, false, &Error{Table: r.TableName, Column: c.src.Name, Err: c.typErr}
		}
		v, err := m.Values.Value(c.typ, raw, c.src, m.TZ)
		if err != nil {
			return nil, false, &Error{Table: r.TableName, Column: c.src.Name, Err: err}
		}
		return v, true, nil
	}

	row := Row{Table: p.source.Name, Delete: r.ModType == record.ModDelete}
	if row.Delete && p.deleteErr != nil {
		return Row{}, p.deleteErr
	}
	keyCols := p.pk
	if row.Delete {
		keyCols = p.deleteBy
	}
	if len(keyCols) > 0 { // sized once; a row without keys keeps nil slices
		row.KeyColumns, row.KeyValues = make([]string, 0, len(keyCols)), make([]any, 0, len(keyCols))
	}
	for _, i := range keyCols {
		v, ok, err := value(i)
		if err != nil {
			return Row{}, err
		}
		if !ok {
			return Row{}, p.missingKey(i, r)
		}
		row.KeyColumns = append(row.KeyColumns, p.cols[i].src.Name)
		row.KeyValues = append(row.KeyValues, v)
	}
	if p.lockBy != nil {
		row.LockKey = make([]any, 0, len(p.lockBy))
		for _, i := range p.lockBy {
			row.LockKey = append(row.LockKey, row.KeyValues[slices.Index(keyCols, i)])
		}
	}
	if row.Delete {
		return row, nil
	}
	if len(p.cols) > 0 {
		row.Columns, row.Values = make([]string, 0, len(p.cols)), make([]any, 0, len(p.cols))
	}
	for i, c := range p.cols {
		if c.src.Generated {
			continue
		}
		v, ok, err := value(i)
		if err != nil {
			return Row{}, err
		}
		if ok {
			row.Columns = append(row.Columns, c.src.Name)
			row.Values = append(row.Values, v)
		}
	}
	return row, nil
}

// missingKey explains why a key column has no value.
func (p *tableMap) missingKey(i int, r record.Record) error {
	c := p.cols[i]
	var why string
	switch {
	case c.spanner == "":
		why = "has no Spanner column, so no change record can supply it (a custom transformation could)"
	case r.ModType == record.ModDelete && !c.spKey:
		why = fmt.Sprintf("comes from Spanner column %q, which is not a Spanner key column, and the deleted row was not read from Spanner", c.spanner)
	default:
		why = fmt.Sprintf("has no value in the change record (Spanner column %q)", c.spanner)
	}
	return &Error{Table: r.TableName, Column: c.src.Name,
		Err: fmt.Errorf("key column of source table %s %s; keys %.200s", p.source.Name, why, r.Mod.KeysJSON)}
}
