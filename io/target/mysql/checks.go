package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	driver "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// CheckShard checks that the writer will be able to work on a shard: the
// host answers, the login works, the database exists, the server accepts
// writes, and the user may insert, update and delete there.
func CheckShard(ctx context.Context, s Shard) error {
	// Connect without a database first, so that a missing database is not
	// reported as a login failure.
	noDB := s
	noDB.DBName = ""
	db, err := Open(noDB, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return connectError(err)
	}
	var name string
	err = db.QueryRowContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", s.DBName).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("database %q does not exist (or the user may not see it)", s.DBName)
	}
	if err != nil {
		return fmt.Errorf("looking up database %q: %w", s.DBName, err)
	}
	var readOnly int
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.read_only").Scan(&readOnly); err != nil {
		return fmt.Errorf("reading read_only: %w", err)
	}
	if readOnly != 0 {
		return errors.New("the server is read_only (a replica?); replication needs the primary")
	}
	lines, err := showGrants(ctx, db, "")
	if err != nil {
		return fmt.Errorf("reading the user's grants: %w", err)
	}
	missing, roles := missingPrivileges(lines, s.DBName)
	if len(missing) > 0 && len(roles) > 0 {
		// Privileges may come through roles; those whose grants cannot
		// be read are given the benefit of the doubt.
		for _, r := range roles {
			rl, err := showGrants(ctx, db, r)
			if err != nil {
				return nil
			}
			lines = append(lines, rl...)
		}
		missing, _ = missingPrivileges(lines, s.DBName)
	}
	if len(missing) > 0 {
		// The hint names only what is missing, so it can be run as it is.
		lacks := strings.Join(missing, ", ")
		return fmt.Errorf("the user lacks %s on database %q (grant them with GRANT %s ON `%s`.* TO ...)",
			lacks, s.DBName, lacks, strings.ReplaceAll(s.DBName, "`", "``"))
	}
	return nil
}

// showGrants runs SHOW GRANTS for the current user, or for a role as
// SHOW GRANTS printed it (already quoted).
func showGrants(ctx context.Context, db *sql.DB, role string) ([]string, error) {
	q := "SHOW GRANTS"
	if role != "" {
		q += " FOR " + role
	}
	return target.Strings(ctx, db, q)
}

// connectError says whether the host or the login is at fault.
func connectError(err error) error {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case ErAccessDenied:
			return fmt.Errorf("login failed (wrong user or password?): %w", err)
		case ErDBAccessDenied:
			return fmt.Errorf("access denied: %w", err)
		}
		return fmt.Errorf("cannot connect: %w", err)
	}
	return fmt.Errorf("cannot reach the server: %w", err)
}
