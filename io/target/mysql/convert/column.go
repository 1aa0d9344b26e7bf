package convert

import (
	"strconv"
	"strings"

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

// target is a MySQL column with its COLUMN_TYPE parsed once.
type target struct {
	col      schema.SourceColumn
	fam      family
	dataType string
	unsigned bool
	bits     int  // integer width, or the M of BIT(M)
	boolLike bool // tinyint(1): also accepts "true"/"false" text
	prec     int  // DECIMAL(M,D): M
	scale    int  // DECIMAL(M,D): D
	fsp      int  // fractional-second digits of time, datetime, timestamp
	members  []string
}

var intBits = map[string]int{
	"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64,
}

func parseTarget(col schema.SourceColumn) target {
	colType := strings.ToLower(strings.TrimSpace(col.ColumnType))
	dt := strings.ToLower(strings.TrimSpace(col.DataType))
	if dt == "" { // fall back on COLUMN_TYPE when DATA_TYPE was not loaded
		dt = colType
		if i := strings.IndexAny(dt, "( "); i >= 0 {
			dt = dt[:i]
		}
	}
	args := typeArgList(col.ColumnType)
	t := target{col: col, dataType: dt, unsigned: col.Unsigned()}
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
