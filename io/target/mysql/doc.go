// Package mysql is the MySQL (and MariaDB) target (Target): connections
// and their properties (TLS included), the writers' shared pools, the
// launch checks and grants, the source schema from information_schema, the
// table of MySQL error codes (codes.go), and the session that writes a
// batch (session.go, unique.go). The value conversion is in convert, the
// SQL in dml.
package mysql
