package convert

import (
	"strconv"
	"strings"

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
// parsed once.
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
	members  []string
}

func parseTarget(col schema.SourceColumn) target {
	dt := strings.ToLower(strings.TrimSpace(col.DataType))
	t := target{col: col, maxLen: col.MaxLength, members: col.Members, fsp: -1}
	if e, ok := strings.CutSuffix(dt, "[]"); ok {
		t.array, dt = true, e
	}
	t.typeName, t.fam, t.bits = dt, families[dt], intBits[dt]
	if t.fam == famNumeric {
		// format_type prints numeric(p,s) or numeric(p,s)[].
		if args := typeArgs(col.ColumnType); len(args) >= 1 {
			t.prec, _ = strconv.Atoi(args[0])
			if len(args) >= 2 {
				t.scale, _ = strconv.Atoi(args[1])
			}
		}
	}
	if t.fam == famTimestamp || t.fam == famTimestamptz || t.fam == famTime {
		t.fsp = timePrecision(col.ColumnType)
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
