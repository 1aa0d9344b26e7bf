package localenv

import (
	"context"
	"database/sql"
	"strings"
)

// readPostgreSQL reads t from a PostgreSQL shard, each column cast in SQL
// to the text MySQL would print for it (booleans as 0/1, timestamps as
// UTC wall clock with microseconds), so that canonicalMySQL reads both.
// Names are unquoted: PostgreSQL folds them to lower case, as it did when
// the tables were created without quotes.
func readPostgreSQL(ctx context.Context, db *sql.DB, t Table, cols []column) (map[string]keyedRow, error) {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = pgText(c.mysql, c.typ)
	}
	return readRows(ctx, db, "SELECT "+strings.Join(exprs, ", ")+" FROM "+sourceName(t), t, cols)
}

// pgText is the expression reading column col of Spanner type typ.
func pgText(col, typ string) string {
	switch base(typ) {
	case "BOOL":
		return col + "::int::text"
	case "TIMESTAMP":
		// For timestamptz the UTC wall clock; for timestamp the stored
		// wall clock (the session runs in UTC).
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
	case "BYTES":
		return col // bytea arrives as its bytes
	}
	return col + "::text"
}
