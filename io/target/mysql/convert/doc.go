// Package convert turns one value of a Spanner change record (the raw JSON
// found in a mod's keys or new_values) into a Go value that go-sql-driver/mysql
// binds as a parameter for a given MySQL column.
//
// The work is split in two steps so each side's rules live in one place:
// decode reads the change-stream encoding of the Spanner type (INT64 as a
// JSON string, BYTES as base64, ...) into a typed Go value, and the encoders
// shape that value for the MySQL column family. A pair with no faithful
// mapping yields a *spannervalue.ConversionError rather than a best guess, because a wrong
// value silently written to the source database is worse than a record in the
// severe-error queue.
//
// Values are never rendered into SQL text here: the Java template's string
// splicing (and its escaping bugs) is replaced by bound parameters.
package convert
