package convert

import (
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/memo"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// family groups PostgreSQL types that take the same value and checks.
type family int

const (
	famUnsupported family = iota
	famBool
	famInt // int2, int4, int8
	famNumeric
	famReal   // float4
	famDouble // float8
	famChar   // bpchar: blank-padded
	famVarchar
	famText
	famBytea
	famDate
	famTimestamp   // without time zone: a wall clock in the source zone
	famTimestamptz // an instant
	famTime
	famJSON
	famJSONB
	famUUID
	famEnum
)

// families maps pg_type.typname (as ReadSchema puts it in DataType).
var families = map[string]family{
	"bool": famBool, "int2": famInt, "int4": famInt, "int8": famInt,
	"numeric": famNumeric, "float4": famReal, "float8": famDouble,
	"bpchar": famChar, "varchar": famVarchar, "text": famText, "name": famText, "citext": famText,
	"bytea": famBytea, "date": famDate, "timestamp": famTimestamp, "timestamptz": famTimestamptz,
	"time": famTime, "json": famJSON, "jsonb": famJSONB, "uuid": famUUID, "enum": famEnum,
}

// intBits are the widths of the integer types.
var intBits = map[string]int{"int2": 16, "int4": 32, "int8": 64}

// target is a PostgreSQL column (or an array's element) with its type
// parsed once (targetOf).
type target struct {
	col      schema.SourceColumn
	fam      family
	typeName string // typname, for messages
	array    bool
	bits     int // integer width
	prec     int // numeric(p,s): p; 0 when unconstrained
	scale    int // numeric(p,s): s
	fsp      int // timestamp(p), timestamptz(p), time(p): p; -1 when unconstrained
	maxLen   int64
	members  []string // the column's own Members: read only
}

// typeKey is all of a column that parseType reads: columns with equal
// keys parse alike, whatever their names, lengths and enum labels.
type typeKey struct{ dataType, columnType string }

// targets holds parseType's result per column type: Value runs for every
// value of every change, and the types come from the schema, so the
// cache stays small.
var targets memo.Cache[typeKey, target]

// targetOf is col with its type parsed: parseType's result, computed once
// per distinct type, with what belongs to the column itself added.
func targetOf(col schema.SourceColumn) target {
	t := targets.Get(typeKey{col.DataType, col.ColumnType}, parseType)
	t.col, t.maxLen, t.members = col, col.MaxLength, col.Members
	return t
}

// parseType parses a column type. It sees only the key, so that its
// result can be shared by every column of that type; it sets every field
// of target but col, maxLen and members.
func parseType(k typeKey) target {
	dt := strings.ToLower(strings.TrimSpace(k.dataType))
	t := target{fsp: -1}
	if e, ok := strings.CutSuffix(dt, "[]"); ok {
		t.array, dt = true, e
	}
	t.typeName, t.fam, t.bits = dt, families[dt], intBits[dt]
	if t.fam == famNumeric {
		// format_type prints numeric(p,s) or numeric(p,s)[].
		if args := typeArgs(k.columnType); len(args) >= 1 {
			t.prec, _ = strconv.Atoi(args[0])
			if len(args) >= 2 {
				t.scale, _ = strconv.Atoi(args[1])
			}
		}
	}
	if t.fam == famTimestamp || t.fam == famTimestamptz || t.fam == famTime {
		t.fsp = timePrecision(k.columnType)
	}
	return t
}

// typeArgs returns the parenthesised modifiers of a type as format_type
// prints it: "numeric(10,2)" -> ["10","2"].
func typeArgs(columnType string) []string {
	open := strings.IndexByte(columnType, '(')
	closing := strings.IndexByte(columnType, ')')
	if open < 0 || closing < open {
		return nil
	}
	var out []string
	for _, a := range strings.Split(columnType[open+1:closing], ",") {
		out = append(out, strings.TrimSpace(a))
	}
	return out
}
