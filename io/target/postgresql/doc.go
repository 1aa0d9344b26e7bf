// Package postgresql is the PostgreSQL target (Target), a peer of
// io/target/mysql: connections and their properties (properties.go, TLS
// through pgx's sslmode), the writers' shared pools, the launch checks,
// the source schema from information_schema and pg_catalog, the table of
// SQLSTATEs (codes.go), and the session that writes a batch (session.go,
// unique.go). The value conversion is in convert, the SQL in dml.
//
// The driver is github.com/jackc/pgx/v5 behind database/sql (pgx/v5/stdlib).
// Every value is bound as a parameter; most are bound as PostgreSQL's text
// input form, which the server parses for the column's type.
package postgresql
