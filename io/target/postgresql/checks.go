package postgresql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
)

// neededPrivileges are what the writer's statements need on each table:
// INSERT ... ON CONFLICT DO UPDATE needs SELECT on the conflict columns,
// the unique-key path reads nothing but UPDATEs and DELETEs by key.
var neededPrivileges = []string{"SELECT", "INSERT", "UPDATE", "DELETE"}

// CheckShard checks that the writer will be able to work on a shard: the
// host answers, the login works, the database and the namespace exist and
// the server accepts writes (not a standby, no read-only default). It
// reports every problem it finds, together. The rights on the tables come
// later, from CheckTables, once the launch knows which tables are written.
func CheckShard(ctx context.Context, s Shard) error {
	db, err := Open(s, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return connectError(s, err)
	}
	ns := Namespace(s)
	var errs []error
	var exists, usage bool
	err = db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
		COALESCE((SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace WHERE nspname = $1), false)`, ns).Scan(&exists, &usage)
	switch {
	case err != nil:
		return fmt.Errorf("looking up namespace %q: %w", ns, err)
	case !exists:
		errs = append(errs, fmt.Errorf("namespace %q does not exist in database %q (set the shard's namespace field to the schema holding the tables)", ns, s.DBName))
	case !usage:
		errs = append(errs, fmt.Errorf("the user lacks USAGE on namespace %q (grant it with GRANT USAGE ON SCHEMA %s TO ...)", ns, dml.QuoteIdent(ns)))
	}
	var recovery bool
	var readOnly string
	if err := db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only')`).Scan(&recovery, &readOnly); err != nil {
		return errors.Join(append(errs, fmt.Errorf("reading whether the server accepts writes: %w", err))...)
	}
	if recovery {
		errs = append(errs, errors.New("the server is a standby (pg_is_in_recovery); replication needs the primary"))
	}
	if readOnly == "on" {
		errs = append(errs, fmt.Errorf("new sessions are read-only (default_transaction_read_only is on for database %q or user %q); turn it off, e.g. ALTER DATABASE %s SET default_transaction_read_only = off",
			s.DBName, s.User, dml.QuoteIdent(s.DBName)))
	}
	return errors.Join(errs...)
}

// CheckTables checks that tables (the source tables the job writes, as
// the schema read at launch names them) exist in the shard's namespace and
// that the user holds neededPrivileges on each; the other tables of the
// namespace are not looked at. Every problem is reported together.
func CheckTables(ctx context.Context, s Shard, tables []string) error {
	db, err := Open(s, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return connectError(s, err)
	}
	return checkTablePrivileges(ctx, db, Namespace(s), tables)
}

// checkTablePrivileges names the tables of ns among tables that are
// missing, or on which the user lacks one of neededPrivileges
// (has_table_privilege counts roles and PUBLIC).
func checkTablePrivileges(ctx context.Context, db *sql.DB, ns string, tables []string) error {
	list, err := json.Marshal(tables)
	if err != nil {
		return err
	}
	var cols []string
	for _, p := range neededPrivileges {
		cols = append(cols, fmt.Sprintf("has_table_privilege(c.oid, '%s')", p))
	}
	// The names travel as one JSON array: a text[] parameter would need
	// the driver to know its type, and names may hold any character.
	// row_security_active: row-level security applies to the user here;
	// its policies may hide rows from the writer's DELETE and UPDATE, which
	// then change nothing without an error, and the change would be lost.
	rows, err := db.QueryContext(ctx, `SELECT t.name, c.oid IS NOT NULL, COALESCE(row_security_active(c.oid), false), `+strings.Join(cols, ", ")+`
		FROM json_array_elements_text($2::json) AS t(name)
		LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = $1
			AND c.relkind IN ('r', 'p') AND NOT c.relispartition)
		ON c.relname = t.name ORDER BY t.name`, ns, string(list))
	if err != nil {
		return fmt.Errorf("reading the user's privileges on the tables of namespace %q: %w", ns, err)
	}
	defer rows.Close()
	var missing, secured []string
	lacking := map[string][]string{} // privilege -> tables
	for rows.Next() {
		var table string
		var found, rls bool
		have := make([]sql.NullBool, len(neededPrivileges))
		dest := []any{&table, &found, &rls}
		for i := range have {
			dest = append(dest, &have[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if !found {
			missing = append(missing, table)
			continue
		}
		if rls {
			secured = append(secured, table)
		}
		for i, ok := range have {
			if !ok.Bool {
				lacking[neededPrivileges[i]] = append(lacking[neededPrivileges[i]], table)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("table(s) %s missing from namespace %q (the schema was read from the first shard; every shard needs the replicated tables)",
			strings.Join(missing, ", "), ns))
	}
	if len(secured) > 0 {
		errs = append(errs, fmt.Errorf("row-level security applies to the user on replicated table(s) %s of namespace %q: its policies may hide rows from the writer, whose deletes and updates would then be lost; let the user bypass it (ALTER ROLE ... BYPASSRLS, or make it the tables' owner without FORCE ROW LEVEL SECURITY)",
			strings.Join(secured, ", "), ns))
	}
	for _, p := range neededPrivileges {
		if t := lacking[p]; len(t) > 0 {
			errs = append(errs, fmt.Errorf("the user lacks %s on replicated table(s) %s of namespace %q (grant it with GRANT %s ON %s TO ..., or ON ALL TABLES IN SCHEMA %s)",
				p, strings.Join(t, ", "), ns, p, qualified(ns, t), dml.QuoteIdent(ns)))
		}
	}
	return errors.Join(errs...)
}

// qualified lists tables of ns as a GRANT names them.
func qualified(ns string, tables []string) string {
	q := make([]string, len(tables))
	for i, t := range tables {
		q[i] = dml.QuoteIdent(ns) + "." + dml.QuoteIdent(t)
	}
	return strings.Join(q, ", ")
}

// connectError says whether the host, the login or the database is at fault.
func connectError(s Shard, err error) error {
	switch state(err) {
	case InvalidPassword, InvalidAuthorization:
		return fmt.Errorf("login failed (wrong user or password?): %w", err)
	case InvalidCatalogName:
		return fmt.Errorf("database %q does not exist: %w", s.DBName, err)
	case "":
		return fmt.Errorf("cannot reach the server: %w", err)
	}
	return fmt.Errorf("cannot connect: %w", err)
}
