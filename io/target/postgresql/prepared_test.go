package postgresql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// A connection keeps the statements it prepared (conn.go), with the
// parameter types the server inferred then. When the server and the kept
// statement no longer agree, the batch fails whole and retryable (no
// record goes to severe/), and its next attempt, on the same connection,
// prepares the statement again and applies it.
func TestSessionPreparedStatementOutdated(t *testing.T) {
	const key = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	cols, keys := []string{"id", "v"}, []string{"id"}
	up := targettest.Up("t", 2, cols, keys, key, `{"a": 1}`)
	tests := []struct {
		name  string
		state string
		// change changes what the server holds, given the statement
		// the connection prepared for up (or del).
		change func(t *testing.T, d testenv.PGDatabase, db *sql.DB)
		write  target.Change
		want   string // the rows after the retry
	}{
		{"column type changed", DatatypeMismatch, func(t *testing.T, d testenv.PGDatabase, _ *sql.DB) {
			exec(t, d.DB, `ALTER TABLE app.t ALTER COLUMN v TYPE jsonb USING v::jsonb`)
		}, up, `(` + key + `,"{""a"": 1}")`},
		{"key column type changed", UndefinedFunction, func(t *testing.T, d testenv.PGDatabase, _ *sql.DB) {
			exec(t, d.DB, `ALTER TABLE app.t ALTER COLUMN id TYPE uuid USING id::uuid`)
		}, targettest.Del("t", 2, keys, key), ``},
		// A pooler in transaction mode hands the connection a server
		// connection without the statement...
		{"statement gone", InvalidStatementName, func(t *testing.T, _ testenv.PGDatabase, db *sql.DB) {
			exec(t, db, `DEALLOCATE ALL`)
		}, up, `(` + key + `,"{""a"": 1}")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, db := sessionPool(t, 1, `CREATE TABLE app.t (id text PRIMARY KEY, v text)`)
			// The first batch prepares the statement of a batch like tt.write.
			first := tt.write
			first.Version.CommitTs.Seconds = 1
			targettest.Write(t, Target{}, db, first)
			if !first.Row.Delete {
				exec(t, d.DB, `DELETE FROM app.t`)
			}
			tt.change(t, d, db)
			err := attempt(db, tt.write)
			var te *target.Error
			if !errors.As(err, &te) || te.SQLState != tt.state {
				t.Fatalf("err = %v, want SQLSTATE %s", err, tt.state)
			}
			if failure.Of(err) != failure.Retryable || !te.WholeBatch || !te.Answered || target.Unreachable(err) {
				t.Errorf("err = %v: %+v, want a retryable failure of the whole batch, the server answering", err, te)
			}
			if err := attempt(db, tt.write); err != nil {
				t.Fatalf("the next attempt: %v", err)
			}
			if got := rows(t, d, `SELECT * FROM app.t`); got != tt.want {
				t.Errorf("rows %s, want %s", got, tt.want)
			}
		})
	}
}

// ...or with a statement of the same name, prepared by another client.
func TestSessionPreparedStatementTaken(t *testing.T) {
	d, db := sessionPool(t, 1, `CREATE TABLE app.t (id text PRIMARY KEY, v text)`)
	c := targettest.Up("t", 1, []string{"id", "v"}, []string{"id"}, "1", "x")
	st, err := builders("app").Upsert("t", c.Row.Columns, c.Row.KeyColumns, [][]any{c.Row.Values})
	if err != nil {
		t.Fatal(err)
	}
	// pgx names a cached statement after its text (internal/stmtcache).
	sum := sha256.Sum256([]byte(st.SQL))
	exec(t, db, `PREPARE stmtcache_`+hex.EncodeToString(sum[:24])+` AS `+st.SQL)
	err = attempt(db, c)
	var te *target.Error
	if !errors.As(err, &te) || te.SQLState != DuplicatePreparedStmt {
		t.Fatalf("err = %v, want SQLSTATE %s", err, DuplicatePreparedStmt)
	}
	if failure.Of(err) != failure.Retryable || !te.WholeBatch {
		t.Errorf("err = %v: %+v, want a retryable failure of the whole batch", err, te)
	}
	if got := rows(t, d, `SELECT * FROM app.t`); got != "" {
		t.Errorf("rows %s", got)
	}
}

// attempt is one attempt of a batch of c on db: its error, rolled back.
func attempt(db *sql.DB, c target.Change) error {
	ctx := context.Background()
	s, err := Target{}.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Begin(ctx); err != nil {
		return err
	}
	if _, err := s.Write(ctx, []target.Change{c}); err != nil {
		_ = s.Rollback()
		return err
	}
	return s.Commit()
}

func exec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
