// Package shadow manages the shadow tables in the metadata database: one per
// replicated table, keyed like it, holding the version (commit timestamp and
// record sequence) of the last change applied to MySQL for each primary key.
package shadow

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"

	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Column names, shared with the Java template so its shadow tables can be reused.
const (
	CommitTsColumn = "processed_commit_ts"
	SeqColumn      = "record_seq"
)

// TableName is the shadow table of a data table.
func TableName(prefix, table string) string { return prefix + table }

// CreateDDL returns the DDL of the shadow table of t: t's primary-key
// columns with their types, order and NOT NULL setting, plus the version
// columns.
func CreateDDL(prefix string, t schema.SpannerTable, postgres bool) (string, error) {
	if len(t.PrimaryKey) == 0 {
		return "", fmt.Errorf("table %s has no primary key", t.Name)
	}
	var b strings.Builder
	q := quoteGoogleSQL
	tsType, seqType := "TIMESTAMP", "INT64"
	if postgres {
		q = quotePostgres
		tsType, seqType = "timestamptz", "bigint"
	}
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", q(TableName(prefix, t.Name)))
	var keyParts []string
	for _, k := range t.PrimaryKey {
		c, ok := t.Column(k.Column)
		if !ok {
			return "", fmt.Errorf("table %s: key column %s not among its columns", t.Name, k.Column)
		}
		typ, err := keyColumnType(c.Type, postgres)
		if err != nil {
			return "", fmt.Errorf("table %s key column %s: %w", t.Name, k.Column, err)
		}
		notNull := " NOT NULL"
		if c.Nullable {
			notNull = ""
		}
		fmt.Fprintf(&b, "  %s %s%s,\n", q(c.Name), typ, notNull)
		part := q(c.Name)
		if k.Desc {
			part += " DESC"
		} else if !postgres {
			part += " ASC"
		}
		keyParts = append(keyParts, part)
	}
	fmt.Fprintf(&b, "  %s %s,\n  %s %s", q(CommitTsColumn), tsType, q(SeqColumn), seqType)
	if postgres {
		fmt.Fprintf(&b, ",\n  PRIMARY KEY (%s)\n)", strings.Join(keyParts, ", "))
	} else {
		fmt.Fprintf(&b, ",\n) PRIMARY KEY (%s)", strings.Join(keyParts, ", "))
	}
	return b.String(), nil
}

func quoteGoogleSQL(s string) string { return "`" + strings.ReplaceAll(s, "`", "\\`") + "`" }
func quotePostgres(s string) string  { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Ensure creates, in one DDL operation, the shadow tables that tables lack in
// the metadata database; existing ones are reused as they are.
func Ensure(ctx context.Context, admin *database.DatabaseAdminClient, meta *spanner.Client, metaDB string,
	metaPostgres bool, prefix string, tables []schema.SpannerTable) (created []string, err error) {
	existing, err := listTables(ctx, meta, metaPostgres)
	if err != nil {
		return nil, fmt.Errorf("listing tables of metadata database %s: %w", metaDB, err)
	}
	var stmts []string
	for _, t := range tables {
		name := TableName(prefix, t.Name)
		if existing[name] || strings.HasPrefix(t.Name, prefix) {
			continue
		}
		ddl, err := CreateDDL(prefix, t, metaPostgres)
		if err != nil {
			return nil, fmt.Errorf("shadow table for %s: %w", t.Name, err)
		}
		stmts = append(stmts, ddl)
		created = append(created, name)
	}
	if len(stmts) == 0 {
		return nil, nil
	}
	op, err := admin.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: metaDB, Statements: stmts})
	if err == nil {
		err = op.Wait(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("creating shadow tables %s in %s: %w", strings.Join(created, ", "), metaDB, err)
	}
	sort.Strings(created)
	return created, nil
}

func listTables(ctx context.Context, client *spanner.Client, postgres bool) (map[string]bool, error) {
	sch := "''"
	if postgres {
		sch = "'public'"
	}
	out := map[string]bool{}
	err := client.Single().Query(ctx, spanner.Statement{
		SQL: "SELECT table_name FROM information_schema.tables WHERE table_schema = " + sch,
	}).Do(func(r *spanner.Row) error {
		var n string
		if err := r.Column(0, &n); err != nil {
			return err
		}
		out[n] = true
		return nil
	})
	return out, err
}
