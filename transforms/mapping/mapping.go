// Package mapping turns a Spanner change of one row into the MySQL row to
// write: which table, which columns, which values, which key. It is pure:
// schemas come in as data, values go out as driver arguments.
package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/transforms/convert"
	"github.com/revrepl/spanner-to-sourcedb/transforms/record"
	"github.com/revrepl/spanner-to-sourcedb/transforms/schema"
)

// ErrTableNotAtSource marks a change to a table that MySQL does not have;
// such records go to the skip directory rather than failing.
var ErrTableNotAtSource = errors.New("table does not exist at the source")

// Row is one MySQL row change.
type Row struct {
	Table      string
	Delete     bool
	Columns    []string // for upserts: every written column, keys included
	Values     []any
	KeyColumns []string
	KeyValues  []any
}

// Mapper maps by identity: a Spanner table or column maps to the MySQL one
// of the same name. Spanner-only columns are not written, nor are generated
// MySQL columns.
type Mapper struct {
	Spanner schema.Spanner
	Source  schema.Source
	// TZ is the source database's zone (sourceDbTimezoneOffset).
	TZ *time.Location
}

// ToSource maps one record.
func (m Mapper) ToSource(r record.Record) (Row, error) {
	sp, ok := m.Spanner.Tables[r.TableName]
	if !ok {
		return Row{}, fmt.Errorf("table %q is not in the Spanner schema read at launch", r.TableName)
	}
	src, ok := m.Source.Tables[r.TableName]
	if !ok {
		return Row{}, fmt.Errorf("table %q: %w", r.TableName, ErrTableNotAtSource)
	}
	if len(src.PrimaryKey) == 0 {
		return Row{}, fmt.Errorf("MySQL table %q has no primary key, so changes cannot be applied to it", src.Name)
	}
	keys, err := decodeObject(r.Mod.KeysJSON)
	if err != nil {
		return Row{}, fmt.Errorf("table %q: keys: %w", r.TableName, err)
	}
	vals, err := decodeObject(r.Mod.NewValuesJSON)
	if err != nil {
		return Row{}, fmt.Errorf("table %q: new values: %w", r.TableName, err)
	}
	lookup := func(col string) (json.RawMessage, bool) {
		if v, ok := keys[col]; ok {
			return v, true
		}
		v, ok := vals[col]
		return v, ok
	}
	row := Row{Table: src.Name, Delete: r.ModType == record.ModDelete}
	value := func(c schema.SourceColumn) (any, bool, error) {
		spCol, ok := sp.Column(c.Name)
		if !ok {
			return nil, false, nil
		}
		raw, ok := lookup(c.Name)
		if !ok {
			return nil, false, nil
		}
		t, err := convert.ParseType(spCol.Type)
		if err != nil {
			return nil, false, fmt.Errorf("table %q column %q: %w", r.TableName, c.Name, err)
		}
		v, err := convert.Value(t, raw, c, m.TZ)
		if err != nil {
			return nil, false, fmt.Errorf("table %q: %w", r.TableName, err)
		}
		return v, true, nil
	}
	for _, k := range src.PrimaryKey {
		c, _ := src.Column(k)
		v, ok, err := value(c)
		if err != nil {
			return Row{}, err
		}
		if !ok {
			return Row{}, fmt.Errorf("table %q: MySQL key column %q has no value in the change record (keys %s)",
				r.TableName, k, r.Mod.KeysJSON)
		}
		row.KeyColumns = append(row.KeyColumns, k)
		row.KeyValues = append(row.KeyValues, v)
	}
	if row.Delete {
		return row, nil
	}
	for _, c := range src.Columns {
		if c.Generated {
			continue
		}
		v, ok, err := value(c)
		if err != nil {
			return Row{}, err
		}
		if ok {
			row.Columns = append(row.Columns, c.Name)
			row.Values = append(row.Values, v)
		}
	}
	return row, nil
}

func decodeObject(s string) (map[string]json.RawMessage, error) {
	if s == "" {
		return map[string]json.RawMessage{}, nil
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%.200s is not a JSON object: %w", s, err)
	}
	return m, nil
}
