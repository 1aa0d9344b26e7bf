// Package convert turns one value of a Spanner change record (decoded by
// pure/spannervalue) into the value bound for a PostgreSQL column, as the
// column is described by io/target/postgresql.ReadSchema.
//
// Values are bound in PostgreSQL's text input form (a string the server
// parses for the column's type: numbers, dates, arrays '{...}', enum
// labels), except bytea, bound as []byte. The checks here catch what would
// change a value silently or what the server would refuse with a less
// useful message: out of range, too long, not a member of the enum, no
// faithful form. A pair with no faithful mapping is a *spannervalue.ConversionError
// (severe), never a best guess.
package convert
