package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// ReadSchema reads the tables, columns, primary keys and secondary unique
// indexes of the shard's database from information_schema.
func ReadSchema(ctx context.Context, db *sql.DB, dbName string) (schema.Source, error) {
	s := schema.Source{Tables: map[string]schema.SourceTable{}}
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE,
			EXTRA, COALESCE(CHARACTER_MAXIMUM_LENGTH, 0), COLUMN_KEY
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, dbName)
	if err != nil {
		return s, fmt.Errorf("reading information_schema.COLUMNS of %s: %w", dbName, err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col, dataType, colType, nullable, extra, colKey string
		var maxLen int64
		if err := rows.Scan(&table, &col, &dataType, &colType, &nullable, &extra, &maxLen, &colKey); err != nil {
			return s, err
		}
		t := s.Tables[table]
		t.Name = table
		extra = strings.ToUpper(extra)
		t.Columns = append(t.Columns, schema.SourceColumn{
			Name: col, DataType: strings.ToLower(dataType), ColumnType: colType,
			Nullable:  nullable == "YES",
			Generated: isGenerated(extra),
			MaxLength: maxLen,
		})
		s.Tables[table] = t
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	keys, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION`, dbName)
	if err != nil {
		return s, fmt.Errorf("reading primary keys of %s: %w", dbName, err)
	}
	defer keys.Close()
	for keys.Next() {
		var table, col string
		if err := keys.Scan(&table, &col); err != nil {
			return s, err
		}
		if t, ok := s.Tables[table]; ok {
			t.PrimaryKey = append(t.PrimaryKey, col)
			s.Tables[table] = t
		}
	}
	if err := keys.Err(); err != nil {
		return s, err
	}
	return s, readUniqueKeys(ctx, db, dbName, s)
}

// readUniqueKeys adds each table's unique indexes other than the primary
// key: the writer must never let a row's values land in another row through
// them (see io/shadow/apply/unique.go).
func readUniqueKeys(ctx context.Context, db *sql.DB, dbName string, s schema.Source) error {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'
		ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, dbName)
	if err != nil {
		return fmt.Errorf("reading unique indexes of %s: %w", dbName, err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, index, col string
		if err := rows.Scan(&table, &index, &col); err != nil {
			return err
		}
		t, ok := s.Tables[table]
		if !ok {
			continue
		}
		if n := len(t.UniqueKeys); n == 0 || t.UniqueKeys[n-1].Name != index {
			t.UniqueKeys = append(t.UniqueKeys, schema.UniqueKey{Name: index})
		}
		u := &t.UniqueKeys[len(t.UniqueKeys)-1]
		u.Columns = append(u.Columns, col)
		s.Tables[table] = t
	}
	return rows.Err()
}

// isGenerated reads information_schema.COLUMNS.EXTRA: MySQL says "VIRTUAL
// GENERATED" or "STORED GENERATED", MariaDB the same (older versions
// "VIRTUAL" or "PERSISTENT"). MySQL's "DEFAULT_GENERATED" marks an
// expression default, a column that is written like any other.
func isGenerated(extra string) bool {
	for _, f := range strings.Fields(strings.ToUpper(extra)) {
		switch f {
		case "VIRTUAL", "STORED", "PERSISTENT":
			return true
		}
	}
	return false
}
