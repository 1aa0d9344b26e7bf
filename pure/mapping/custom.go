package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// customColumns resolves the columns a custom transformation answered for,
// by source column name (case-insensitively, as MySQL does). A name that
// the source table does not have, or a generated column, is a mistake in
// the transformation, reported rather than ignored: the Java template
// silently dropped such values.
func (p *tableMap) customColumns(custom map[string]json.RawMessage) (map[int]json.RawMessage, error) {
	if len(custom) == 0 {
		return nil, nil
	}
	out := make(map[int]json.RawMessage, len(custom))
	for name, raw := range custom {
		i, ok := p.byName[strings.ToLower(name)]
		if !ok {
			return nil, tableErr(p.spanner.Name, "custom transformation answered column %q, which source table %s does not have", name, p.source.Name)
		}
		if p.cols[i].src.Generated {
			return nil, tableErr(p.spanner.Name, "custom transformation answered column %q, which is generated in source table %s and cannot be written", name, p.source.Name)
		}
		out[i] = raw
	}
	return out, nil
}

// customValue converts one value of a custom transformation's responseRow
// for a source column. The Java template spliced such values into the SQL
// text verbatim (so a transformation had to return SQL literals); here they
// are plain JSON, converted like change-record values and always bound as
// parameters:
//
//   - null is NULL;
//   - a string is converted as a Spanner STRING would be (so "42" fits an
//     INT column and "2024-02-03 06:00:00" a DATETIME, taken as source
//     local time);
//   - a number is converted from its exact text, like a string;
//   - true/false as a BOOL;
//   - an object or array as JSON text.
func customValue(values Values, raw json.RawMessage, col schema.SourceColumn, tz *time.Location) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch raw[0] {
	case 'n':
		return values.Value(spannertype.Type{Code: spannertype.CodeString}, raw, col, tz)
	case '"':
		return values.Value(spannertype.Type{Code: spannertype.CodeString}, raw, col, tz)
	case 't', 'f':
		return values.Value(spannertype.Type{Code: spannertype.CodeBool}, raw, col, tz)
	case '{', '[':
		return values.Value(spannertype.Type{Code: spannertype.CodeJSON}, raw, col, tz)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("%.80s is not a JSON value: %w", raw, err)
	}
	quoted, _ := json.Marshal(n.String())
	return values.Value(spannertype.Type{Code: spannertype.CodeString}, quoted, col, tz)
}
