package convert

import (
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/memo"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// family groups MySQL data types that take the same Go value and checks.
type family int

const (
	famUnsupported family = iota
	famInt                // tinyint .. bigint, signed or unsigned
	famDecimal
	famFloat  // single precision: range of float32
	famDouble // double, real
	famBit
	famChar // char, varchar: length in characters
	famText // tinytext .. longtext: length in bytes
	famEnum
	famSet
	famJSON
	famDate
	famTime
	famYear
	famDatetime
	famTimestamp
	famBinary // binary, varbinary
	famBlob
	famUUID // MariaDB's native UUID type
)

// target is a MySQL column with its COLUMN_TYPE parsed once (targetOf).
type target struct {
	col      schema.SourceColumn
	fam      family
	dataType string
	unsigned bool
	bits     int      // integer width, or the M of BIT(M)
	boolLike bool     // tinyint(1): also accepts "true"/"false" text
	prec     int      // DECIMAL(M,D): M
	scale    int      // DECIMAL(M,D): D
	fsp      int      // fractional-second digits of time, datetime, timestamp
	members  []string // shared by every column of the type (targetOf): read only
}

var intBits = map[string]int{
	"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64,
}

// typeKey is all of a column that parseType reads: columns with equal
// keys parse alike, whatever their names and lengths.
type typeKey struct{ dataType, columnType string }

// targets holds parseType's result per column type. Value runs for every
// value of every change, and parsing the type each time (lower-casing,
// splitting the arguments) cost a fifth of the writer's preparation of a
// record; the types come from the schema, so the cache stays small.
var targets memo.Cache[typeKey, target]

// targetOf is col with its type parsed: parseType's result, computed once
// per distinct type, with the column itself (name, length) added.
func targetOf(col schema.SourceColumn) target {
	t := targets.Get(typeKey{col.DataType, col.ColumnType}, parseType)
	t.col = col
	return t
}

// parseType parses a column type. It sees only the key, so that its
// result can be shared by every column of that type; it sets every field
// of target but col.
func parseType(k typeKey) target {
	colType := strings.ToLower(strings.TrimSpace(k.columnType))
	dt := strings.ToLower(strings.TrimSpace(k.dataType))
	if dt == "" { // fall back on COLUMN_TYPE when DATA_TYPE was not loaded
		dt = colType
		if i := strings.IndexAny(dt, "( "); i >= 0 {
			dt = dt[:i]
		}
	}
	args := typeArgList(k.columnType)
	t := target{dataType: dt, unsigned: schema.SourceColumn{ColumnType: k.columnType}.Unsigned()}
	switch dt {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		t.fam, t.bits = famInt, intBits[dt]
		t.boolLike = dt == "tinyint" && len(args) == 1 && args[0] == "1"
	case "bool", "boolean":
		t.fam, t.bits, t.boolLike = famInt, 8, true
	case "decimal", "numeric", "dec", "fixed":
		t.fam, t.prec, t.scale = famDecimal, 10, 0
		if len(args) >= 1 {
			t.prec = atoiOr(args[0], 10)
		}
		if len(args) >= 2 {
			t.scale = atoiOr(args[1], 0)
		}
	case "float":
		t.fam = famFloat
		// FLOAT(p) with p > 24 is a DOUBLE; information_schema already
		// reports it as double, but a hand-written schema may not.
		if len(args) == 1 && atoiOr(args[0], 0) > 24 {
			t.fam = famDouble
		}
	case "double", "real", "double precision":
		t.fam = famDouble
	case "bit":
		t.fam, t.bits = famBit, 1
		if len(args) == 1 {
			t.bits = atoiOr(args[0], 1)
		}
	case "char", "varchar":
		t.fam = famChar
	case "tinytext", "text", "mediumtext", "longtext":
		t.fam = famText
	case "enum":
		t.fam, t.members = famEnum, args
	case "set":
		t.fam, t.members = famSet, args
	case "json":
		t.fam = famJSON
	case "date":
		t.fam = famDate
	case "time":
		t.fam = famTime
	case "year":
		t.fam = famYear
	case "datetime":
		t.fam = famDatetime
	case "timestamp":
		t.fam = famTimestamp
	case "binary", "varbinary":
		t.fam = famBinary
	case "tinyblob", "blob", "mediumblob", "longblob":
		t.fam = famBlob
	case "uuid":
		t.fam = famUUID
	}
	switch t.fam {
	case famTime, famDatetime, famTimestamp:
		if len(args) == 1 {
			t.fsp = min(max(atoiOr(args[0], 0), 0), 6)
		}
	}
	return t
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}

// typeArgList returns the parenthesised arguments of a COLUMN_TYPE such as
// "decimal(10,2) unsigned" -> ["10","2"] or "enum('a','b c')" -> ["a","b c"].
// Quoted members follow information_schema's quoting, where a doubled single
// quote stands for one.
func typeArgList(columnType string) []string {
	open := strings.IndexByte(columnType, '(')
	if open < 0 {
		return nil
	}
	s := columnType[open+1:]
	var args []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			cur.WriteByte('\'')
			i++
		case c == '\'':
			inQuote = !inQuote
		case !inQuote && c == ',':
			args = append(args, cur.String())
			cur.Reset()
		case !inQuote && c == ')':
			return append(args, cur.String())
		case !inQuote && (c == ' ' || c == '\t'):
			// spaces between arguments carry no meaning
		default:
			cur.WriteByte(c)
		}
	}
	return append(args, cur.String())
}
