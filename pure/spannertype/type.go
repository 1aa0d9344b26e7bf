// Package spannertype parses Spanner column types, as DDL of either dialect
// ("STRING(MAX)", "character varying(10)", "bigint[]") or as the type objects of
// change records' column_types, into one canonical Type. No I/O.
package spannertype

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Canonical GoogleSQL type codes, as change records report them in
// column_types.
const (
	CodeBool      = "BOOL"
	CodeInt64     = "INT64"
	CodeFloat32   = "FLOAT32"
	CodeFloat64   = "FLOAT64"
	CodeNumeric   = "NUMERIC"
	CodeString    = "STRING"
	CodeBytes     = "BYTES"
	CodeDate      = "DATE"
	CodeTimestamp = "TIMESTAMP"
	CodeJSON      = "JSON"
	CodeUUID      = "UUID"
	CodeArray     = "ARRAY"
)

// Type is a Spanner column type reduced to what decoding needs: lengths and
// dialect spelling are dropped, so "STRING(10)" and "character varying(10)"
// are both {Code: STRING}.
type Type struct {
	Code string
	Elem *Type // element type when Code is ARRAY
}

func (t Type) String() string {
	if t.Code == CodeArray && t.Elem != nil {
		return "ARRAY<" + t.Elem.String() + ">"
	}
	return t.Code
}

var scalarCodes = map[string]string{
	// GoogleSQL spellings (DDL is case-insensitive, so keys are lower case).
	"bool": CodeBool, "int64": CodeInt64, "float32": CodeFloat32, "float64": CodeFloat64,
	"numeric": CodeNumeric, "string": CodeString, "bytes": CodeBytes, "date": CodeDate,
	"timestamp": CodeTimestamp, "json": CodeJSON, "uuid": CodeUUID,
	// PostgreSQL-dialect spellings, including the aliases PostgreSQL accepts.
	"bigint": CodeInt64, "int8": CodeInt64,
	"boolean":          CodeBool,
	"double precision": CodeFloat64, "float8": CodeFloat64,
	"real": CodeFloat32, "float4": CodeFloat32,
	"decimal":           CodeNumeric,
	"character varying": CodeString, "varchar": CodeString, "text": CodeString,
	"bytea":                    CodeBytes,
	"timestamp with time zone": CodeTimestamp, "timestamptz": CodeTimestamp,
	"spanner.commit_timestamp": CodeTimestamp,
	"jsonb":                    CodeJSON,
}

// typeArgs matches a length or precision such as "(MAX)" or "(10, 2)".
var typeArgs = regexp.MustCompile(`\s*\([^)]*\)`)

// BaseName is a scalar DDL type as Parse looks it up: lower case, lengths and
// precisions dropped, spaces collapsed ("CHARACTER  VARYING(10)" ->
// "character varying").
func BaseName(ddl string) string {
	name := strings.ToLower(typeArgs.ReplaceAllString(strings.TrimSpace(ddl), ""))
	return strings.Join(strings.Fields(name), " ")
}

// Parse parses a Spanner DDL type of either dialect, e.g. "STRING(MAX)",
// "ARRAY<INT64>", "character varying(10)" or "bigint[]".
func Parse(ddl string) (Type, error) {
	s := strings.TrimSpace(ddl)
	upper := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(upper, "ARRAY<") && strings.HasSuffix(s, ">"):
		return arrayOf(ddl, s[len("ARRAY<"):len(s)-1])
	case strings.HasSuffix(s, "[]"):
		return arrayOf(ddl, s[:len(s)-2])
	}
	if code, ok := scalarCodes[BaseName(s)]; ok {
		return Type{Code: code}, nil
	}
	return Type{}, fmt.Errorf("convert: unsupported Spanner type %q", ddl)
}

func arrayOf(ddl, elem string) (Type, error) {
	et, err := Parse(elem)
	if err != nil {
		return Type{}, err
	}
	if et.Code == CodeArray {
		return Type{}, fmt.Errorf("convert: nested array type %q", ddl)
	}
	return Type{Code: CodeArray, Elem: &et}, nil
}

// ParseJSON parses the type object of a change record's column_types, e.g.
// {"code":"ARRAY","array_element_type":{"code":"INT64"}}. Both snake_case and
// camelCase element keys are accepted because producers differ.
func ParseJSON(raw json.RawMessage) (Type, error) {
	var v struct {
		Code      string          `json:"code"`
		ElemSnake json.RawMessage `json:"array_element_type"`
		ElemCamel json.RawMessage `json:"arrayElementType"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return Type{}, fmt.Errorf("convert: bad column type JSON %s: %w", Shorten(string(raw)), err)
	}
	code := strings.ToUpper(v.Code)
	if code != CodeArray {
		if !isScalarCode(code) {
			return Type{}, fmt.Errorf("convert: unsupported Spanner type code %q", v.Code)
		}
		return Type{Code: code}, nil
	}
	elemRaw := v.ElemSnake
	if len(elemRaw) == 0 {
		elemRaw = v.ElemCamel
	}
	if len(elemRaw) == 0 {
		return Type{}, fmt.Errorf("convert: ARRAY type without element type: %s", Shorten(string(raw)))
	}
	et, err := ParseJSON(elemRaw)
	if err != nil {
		return Type{}, err
	}
	if et.Code == CodeArray {
		return Type{}, fmt.Errorf("convert: nested array type %s", Shorten(string(raw)))
	}
	return Type{Code: CodeArray, Elem: &et}, nil
}

func isScalarCode(code string) bool {
	switch code {
	case CodeBool, CodeInt64, CodeFloat32, CodeFloat64, CodeNumeric, CodeString,
		CodeBytes, CodeDate, CodeTimestamp, CodeJSON, CodeUUID:
		return true
	}
	return false
}

// MaxShown bounds, in bytes, the part of a value that Shorten keeps.
const MaxShown = 80

// Shorten cuts a raw value for an error message on a rune boundary and says
// how long it was, so the message stays valid UTF-8 and the reader knows it
// was cut.
func Shorten(s string) string {
	if len(s) <= MaxShown {
		return s
	}
	cut := MaxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}
