package routing

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// SpannerRecord turns a change's keys and new values (change-stream JSON)
// into the column values a shard fetcher sees: INT64 as int64, FLOAT32 and
// FLOAT64 as float64 (NaN and infinities keep their string form), BOOL as
// bool, BYTES as []byte, ARRAY as decoded JSON, NULL as nil, and every other
// type (NUMERIC, STRING, JSON, DATE, TIMESTAMP, UUID) as its exact string.
// Unlike the Java template, ARRAY columns do not make the record fail.
//
// v is the change's keys and new values, decoded once by the stage.
func SpannerRecord(t schema.SpannerTable, v record.Values) (map[string]any, error) {
	out := make(map[string]any, len(v.Keys)+len(v.New))
	for _, m := range []map[string]json.RawMessage{v.Keys, v.New} {
		for col, raw := range m {
			val, err := columnValue(t, col, raw)
			if err != nil {
				return nil, fmt.Errorf("table %q column %q: %w", t.Name, col, err)
			}
			out[col] = val
		}
	}
	return out, nil
}

func columnValue(t schema.SpannerTable, col string, raw json.RawMessage) (any, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	c, ok := t.Column(col)
	code := ""
	if ok {
		typ, err := spannertype.Parse(c.Type)
		if err != nil {
			return nil, err
		}
		code = typ.Code
	}
	switch code {
	case spannertype.CodeInt64:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, fmt.Errorf("INT64 value %s is neither a string nor a number", raw)
			}
			s = n.String()
		}
		return strconv.ParseInt(s, 10, 64)
	case spannertype.CodeFloat32, spannertype.CodeFloat64:
		var f float64
		if err := json.Unmarshal(raw, &f); err == nil {
			return f, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("float value %s is neither a number nor a string", raw)
		}
		return s, nil
	case spannertype.CodeBool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("BOOL value %s: %w", raw, err)
		}
		return b, nil
	case spannertype.CodeBytes:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("BYTES value %.50s is not a string: %w", raw, err)
		}
		return base64.StdEncoding.DecodeString(s)
	case spannertype.CodeArray, "":
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s value %.50s is not a string: %w", code, raw, err)
	}
	return s, nil
}
