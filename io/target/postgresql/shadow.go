package postgresql

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/dml"
	"github.com/revrepl/spanner-to-sourcedb/pure/newer"
)

// maxIdentLen is PostgreSQL's limit on a name (NAMEDATALEN-1 bytes).
const maxIdentLen = 63

// EnsureShadowTables implements target.ShadowTarget: CREATE TABLE IF NOT
// EXISTS in the shard's namespace for each table, then a read of the
// shadow columns of each, which fails for a table of that name that is not
// a shadow table.
func (Target) EnsureShadowTables(ctx context.Context, s Shard, tables []target.ShadowTable) ([]string, error) {
	db, err := Open(s, 1)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ns := Namespace(s)
	existing := map[string]bool{}
	rows, err := db.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1", ns)
	if err != nil {
		return nil, fmt.Errorf("listing the tables of namespace %q: %w", ns, Classify(err))
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		existing[n] = true
	}
	rows.Close()
	var created []string
	for _, t := range tables {
		if err := target.ShadowTableName(t.Name, maxIdentLen, name); err != nil {
			return nil, err
		}
		if !existing[t.Name] {
			ddl, err := dml.CreateShadowTable(ns, t.Name, target.ShadowKeyColumn, t.KeyColumns, target.ShadowCommitTsColumn, target.ShadowSeqColumn)
			if err != nil {
				return nil, fmt.Errorf("shadow table %s: %w", t.Name, err)
			}
			if _, err := db.ExecContext(ctx, ddl); err != nil {
				return nil, createError(s, ns, t.Name, err)
			}
			created = append(created, t.Name)
		}
		if err := checkShadowTable(ctx, db, ns, t); err != nil {
			return nil, err
		}
	}
	sort.Strings(created)
	return created, nil
}

// createError explains a refused CREATE TABLE: most often the user lacks
// CREATE on the namespace, which shadowTableLocation=source needs.
func createError(s Shard, ns, table string, err error) error {
	if state(err) == InsufficientPrivilege {
		return fmt.Errorf("shadowTableLocation=source: the user may not create shadow table %s in namespace %q of database %q (grant it with GRANT CREATE ON SCHEMA %s TO ..., or use shadowTableLocation=metadata): %w",
			table, ns, s.DBName, dml.QuoteIdent(ns), err)
	}
	return fmt.Errorf("shadowTableLocation=source: creating shadow table %s in namespace %q: %w", table, ns, Classify(err))
}

func checkShadowTable(ctx context.Context, db *sql.DB, ns string, t target.ShadowTable) error {
	q := fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE false", dml.QuoteIdent(target.ShadowKeyColumn),
		dml.QuoteIdent(target.ShadowCommitTsColumn), dml.QuoteIdent(target.ShadowSeqColumn), dml.Table(ns, t.Name))
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("shadowTableLocation=source: table %s.%s exists but is not a shadow table of this template (it needs columns %s, %s and %s; rename it or choose another shadowTablePrefix): %w",
			ns, t.Name, target.ShadowKeyColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn, err)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	// The key column must be bytea: a text one would hold the identities'
	// \x text, which the writer never reads back as the identity (every
	// key would look never applied, and an older change overwrite a newer
	// one). Without a unique index on it, the writer's ON CONFLICT fails
	// by itself.
	var typ string
	err = db.QueryRowContext(ctx, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped",
		dml.Table(ns, t.Name), target.ShadowKeyColumn).Scan(&typ)
	if err != nil {
		return fmt.Errorf("shadowTableLocation=source: reading the type of %s.%s.%s: %w", ns, t.Name, target.ShadowKeyColumn, Classify(err))
	}
	if typ != "bytea" {
		return fmt.Errorf("shadowTableLocation=source: table %s.%s exists but is not a shadow table of this template: its column %s is %s, it must be bytea (drop the table while no job runs, or choose another shadowTablePrefix)",
			ns, t.Name, target.ShadowKeyColumn, typ)
	}
	return nil
}

// keyText is a shadow key identity as bytea's text form: a string is
// bound as text (conn.go), and the server reads \x followed by hex digits
// as bytea.
func keyText(h []byte) string { return `\x` + hex.EncodeToString(h) }

// LockShadow implements target.ShadowSession in two statements, with the
// keys sorted by identity so that writers of overlapping batches take the
// locks in one order: dml.InsertShadowRows inserts a row holding its claim
// for each key that has none and returns those keys; SELECT ... FOR UPDATE
// then locks and reads the others (none when every key was new).
func (s *session) LockShadow(ctx context.Context, t target.ShadowTable, claims []target.ShadowRow) (target.ShadowLocks, error) {
	claims = target.SortShadowRows(claims)
	locks := target.ShadowLocks{Stored: make(map[string]newer.Version, len(claims)), Inserted: make(map[string]bool, len(claims))}
	if len(claims) == 0 {
		return locks, nil
	}
	cols := append(append([]string{target.ShadowKeyColumn}, t.KeyColumns...), target.ShadowCommitTsColumn, target.ShadowSeqColumn)
	per := max(1, dml.MaxParams/len(cols))
	for rest := claims; len(rest) > 0; {
		n := min(per, len(rest))
		rows := make([][]any, n)
		for i, c := range rest[:n] {
			ts, seq := target.ShadowArgs(c)
			rows[i] = append(append(append(make([]any, 0, len(cols)), keyText(c.Key.ID)), c.Key.Parts...), ts, seq)
		}
		st, err := dml.InsertShadowRows(s.ns, t.Name, target.ShadowKeyColumn, cols, rows)
		if err != nil {
			return locks, &target.BatchError{Target: name, Err: fmt.Errorf("shadow table %s: %w", t.Name, err)}
		}
		if err := s.inserted(ctx, st, locks.Inserted); err != nil {
			return locks, &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
		}
		rest = rest[n:]
	}
	if len(locks.Inserted) == len(claims) {
		locks.AllInserted = true
		return locks, nil
	}
	var others []target.ShadowRow
	for _, c := range claims {
		if !locks.Inserted[string(c.Key.ID)] {
			others = append(others, c)
		}
	}
	for rest := others; len(rest) > 0; {
		n := min(dml.MaxParams, len(rest))
		q, err := dml.LockShadowRows(s.ns, t.Name, target.ShadowKeyColumn,
			[]string{target.ShadowKeyColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}, n)
		if err != nil {
			return locks, &target.BatchError{Target: name, Err: err}
		}
		args := make([]any, n)
		for i, c := range rest[:n] {
			args[i] = keyText(c.Key.ID)
		}
		if err := readVersions(ctx, s.tx, q, args, locks.Stored); err != nil {
			return locks, fmt.Errorf("PostgreSQL: reading shadow table %s: %w", t.Name, err)
		}
		rest = rest[n:]
	}
	return locks, nil
}

// inserted runs st, an InsertShadowRows, and adds the identities it returns.
func (s *session) inserted(ctx context.Context, st dml.Statement, out map[string]bool) error {
	rows, err := s.tx.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return err
		}
		out[string(h)] = true
	}
	return rows.Err()
}

func readVersions(ctx context.Context, tx *sql.Tx, q string, args []any, out map[string]newer.Version) error {
	return Classify(target.ReadShadowVersions(ctx, tx, q, args, out))
}

// WriteShadow implements target.ShadowSession: one multi-row upsert of the
// versions (the rows exist and are locked, so it updates them).
func (s *session) WriteShadow(ctx context.Context, t target.ShadowTable, rows []target.ShadowRow) error {
	cols := []string{target.ShadowKeyColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}
	per := dml.MaxParams / len(cols)
	for rest := rows; len(rest) > 0; {
		n := min(per, len(rest))
		vals := make([][]any, n)
		for i, r := range rest[:n] {
			ts, seq := target.ShadowArgs(r)
			vals[i] = []any{keyText(r.Key.ID), ts, seq}
		}
		st, err := dml.Upsert(s.ns, t.Name, cols, cols[:1], vals)
		if err != nil {
			return &target.BatchError{Target: name, Err: fmt.Errorf("shadow table %s: %w", t.Name, err)}
		}
		if _, err := s.tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			return &target.BatchError{Target: name, Err: Classify(err), SQL: st.SQL}
		}
		rest = rest[n:]
	}
	return nil
}

// ShadowVersions implements target.Scanner: the versions of keys, read
// without locks in a read-only transaction (readTx) in the pool's
// namespace (verify's in-flight rule must neither wait for the writer nor
// hold it up).
func (scanner) ShadowVersions(ctx context.Context, db *sql.DB, t target.ShadowTable, keys []target.ShadowKey) (map[string]newer.Version, error) {
	out := make(map[string]newer.Version, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cols := []string{target.ShadowKeyColumn, target.ShadowCommitTsColumn, target.ShadowSeqColumn}
	err := readTx(ctx, db, func(tx *sql.Tx, ns string) error {
		for rest := keys; len(rest) > 0; {
			n := min(dml.MaxParams, len(rest))
			q, err := dml.ShadowRows(ns, t.Name, target.ShadowKeyColumn, cols, n)
			if err != nil {
				return &target.BatchError{Target: name, Err: err}
			}
			args := make([]any, n)
			for i, k := range rest[:n] {
				args[i] = keyText(k.ID)
			}
			if err := target.ReadShadowVersions(ctx, tx, q, args, out); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: reading shadow table %s: %w", t.Name, Classify(err))
	}
	return out, nil
}
