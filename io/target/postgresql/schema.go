package postgresql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// ReadSchema reads the tables (ordinary and partitioned), columns, primary
// keys and unique indexes of namespace from pg_catalog. A column is
// described as the conversion (io/target/postgresql/convert) reads it:
//
//   - DataType is the type's internal name (int8, varchar, timestamptz,
//     ...), "enum" for an enum type, with "[]" for an array of it; a
//     domain is described by its base type;
//   - ColumnType is the type as PostgreSQL prints it (format_type), with
//     its modifiers: character varying(10), numeric(10,2), mood[];
//   - MaxLength is the length limit of char and varchar (of an array's
//     elements);
//   - Members are an enum's labels.
func ReadSchema(ctx context.Context, db *sql.DB, namespace string) (schema.Source, error) {
	s := schema.Source{Tables: map[string]schema.SourceTable{}}
	rows, err := db.QueryContext(ctx, `
		SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
			CASE WHEN b.typtype = 'e' THEN 'enum' ELSE b.typname END || CASE WHEN e.oid IS NOT NULL THEN '[]' ELSE '' END,
			NOT a.attnotnull, a.attgenerated <> '',
			CASE WHEN b.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 ELSE 0 END,
			COALESCE((SELECT array_to_string(array_agg(en.enumlabel ORDER BY en.enumsortorder), chr(1))
				FROM pg_enum en WHERE en.enumtypid = b.oid), '')
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid
		LEFT JOIN pg_type e ON t.typcategory = 'A' AND e.oid = t.typelem
		JOIN pg_type d ON d.oid = COALESCE(e.oid, t.oid)
		JOIN pg_type b ON b.oid = CASE WHEN d.typtype = 'd' THEN d.typbasetype ELSE d.oid END
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`, namespace)
	if err != nil {
		return s, fmt.Errorf("reading the columns of namespace %s: %w", namespace, err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col, colType, dataType, members string
		var nullable, generated bool
		var maxLen int64
		if err := rows.Scan(&table, &col, &colType, &dataType, &nullable, &generated, &maxLen, &members); err != nil {
			return s, err
		}
		t := s.Tables[table]
		t.Name = table
		c := schema.SourceColumn{Name: col, DataType: dataType, ColumnType: colType, Nullable: nullable, Generated: generated, MaxLength: maxLen}
		if members != "" {
			c.Members = strings.Split(members, "\x01")
		}
		t.Columns = append(t.Columns, c)
		s.Tables[table] = t
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	return s, readIndexes(ctx, db, namespace, s)
}

// readIndexes adds each table's primary key and its other unique indexes
// on plain columns (an index on an expression cannot be told from the
// row's values alone; the server still enforces it). The writer never lets
// a row's values land in another row through them (unique.go).
func readIndexes(ctx context.Context, db *sql.DB, namespace string, s schema.Source) error {
	rows, err := db.QueryContext(ctx, `
		SELECT c.relname, i.relname, x.indisprimary, a.attname
		FROM pg_index x
		JOIN pg_class c ON c.oid = x.indrelid
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
		WHERE n.nspname = $1 AND x.indisunique AND x.indexprs IS NULL AND k.pos <= x.indnkeyatts
		ORDER BY c.relname, x.indisprimary DESC, i.relname, k.pos`, namespace)
	if err != nil {
		return fmt.Errorf("reading the unique indexes of namespace %s: %w", namespace, err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, index, col string
		var primary bool
		if err := rows.Scan(&table, &index, &primary, &col); err != nil {
			return err
		}
		t, ok := s.Tables[table]
		if !ok {
			continue
		}
		if primary {
			t.PrimaryKey = append(t.PrimaryKey, col)
		} else {
			if n := len(t.UniqueKeys); n == 0 || t.UniqueKeys[n-1].Name != index {
				t.UniqueKeys = append(t.UniqueKeys, schema.UniqueKey{Name: index})
			}
			u := &t.UniqueKeys[len(t.UniqueKeys)-1]
			u.Columns = append(u.Columns, col)
		}
		s.Tables[table] = t
	}
	return rows.Err()
}
