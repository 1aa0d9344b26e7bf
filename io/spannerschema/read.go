// Package spannerschema reads a Spanner database's tables, columns and
// primary keys from information_schema, for both dialects.
package spannerschema

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Read returns the user tables of the database behind client.
func Read(ctx context.Context, client *spanner.Client) (schema.Spanner, error) {
	ro := client.ReadOnlyTransaction()
	defer ro.Close()
	dialect, err := Dialect(ctx, ro)
	if err != nil {
		return schema.Spanner{}, err
	}
	s := schema.Spanner{Dialect: dialect, Tables: map[string]schema.SpannerTable{}}
	userSchema := "''"
	if s.IsPostgres() {
		userSchema = "'public'"
	}
	cols := fmt.Sprintf(`SELECT table_name, column_name, spanner_type, is_generated, is_nullable
		FROM information_schema.columns WHERE table_schema = %s ORDER BY table_name, ordinal_position`, userSchema)
	err = ro.Query(ctx, spanner.Statement{SQL: cols}).Do(func(r *spanner.Row) error {
		var table, col, typ, gen, nullable spanner.NullString
		if err := r.Columns(&table, &col, &typ, &gen, &nullable); err != nil {
			return err
		}
		t := s.Tables[table.StringVal]
		t.Name = table.StringVal
		t.Columns = append(t.Columns, schema.SpannerColumn{
			Name: col.StringVal, Type: typ.StringVal, Generated: strings.EqualFold(gen.StringVal, "ALWAYS"),
			Nullable: strings.EqualFold(nullable.StringVal, "YES"),
		})
		s.Tables[table.StringVal] = t
		return nil
	})
	if err != nil {
		return schema.Spanner{}, fmt.Errorf("reading Spanner columns: %w", err)
	}
	keys := fmt.Sprintf(`SELECT table_name, column_name, column_ordering
		FROM information_schema.index_columns
		WHERE table_schema = %s AND index_type = 'PRIMARY_KEY'
		ORDER BY table_name, ordinal_position`, userSchema)
	err = ro.Query(ctx, spanner.Statement{SQL: keys}).Do(func(r *spanner.Row) error {
		var table, col, ordering spanner.NullString
		if err := r.Columns(&table, &col, &ordering); err != nil {
			return err
		}
		t, ok := s.Tables[table.StringVal]
		if !ok {
			return nil
		}
		t.PrimaryKey = append(t.PrimaryKey, schema.KeyPart{Column: col.StringVal, Desc: strings.EqualFold(ordering.StringVal, "DESC")})
		s.Tables[table.StringVal] = t
		return nil
	})
	if err != nil {
		return schema.Spanner{}, fmt.Errorf("reading Spanner primary keys: %w", err)
	}
	return s, nil
}

// Dialect returns GOOGLE_STANDARD_SQL or POSTGRESQL.
func Dialect(ctx context.Context, ro *spanner.ReadOnlyTransaction) (string, error) {
	iter := ro.Query(ctx, spanner.Statement{SQL: `SELECT option_value FROM information_schema.database_options WHERE option_name = 'database_dialect'`})
	defer iter.Stop()
	row, err := iter.Next()
	if err != nil {
		return "", fmt.Errorf("reading the database dialect: %w", err)
	}
	var d string
	if err := row.Column(0, &d); err != nil {
		return "", err
	}
	return d, nil
}
