package convert

import (
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// KeyComparable reports whether a DELETE can find a row by col with
// `col = ?`, the value bound as Value converts it. It must match exactly
// the value MySQL stored for the same change, or the DELETE silently
// leaves the row:
//
//   - FLOAT and DOUBLE compare exactly: MySQL compares a FLOAT column as
//     the double of its single-precision value, and Value binds a FLOAT's
//     value already rounded to single precision, a DOUBLE's unchanged.
//   - FLOAT(M,D) and DOUBLE(M,D) round what they store to D decimals;
//     the bound value is not rounded, so it never equals the stored one.
//   - JSON does not compare: MySQL 8 compares a JSON column with a bound
//     string as a JSON string scalar, never equal to a stored document,
//     and MariaDB compares the text, which differs when the document was
//     written with other spacing or key order.
//
// Other types are bound in the form the column stores.
func KeyComparable(col schema.SourceColumn) error {
	t := targetOf(col)
	switch t.fam {
	case famJSON:
		return errors.New("a JSON column cannot be compared with a bound value: MySQL compares it as a JSON string, never equal to the stored document")
	case famFloat, famDouble:
		if args := typeArgList(col.ColumnType); len(args) == 2 {
			return fmt.Errorf("%s rounds stored values to %s decimals, so the unrounded value of the change never equals the stored one", col.ColumnType, args[1])
		}
	}
	return nil
}
