package localenv

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
	sppb "cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Table describes how one Spanner table is compared with its MySQL table.
type Table struct {
	Name        string            // Spanner table
	SourceName  string            // MySQL table, when named differently
	Key         []string          // Spanner primary-key columns, in key order
	Renamed     map[string]string // Spanner column -> MySQL column, when named differently
	Skip        []string          // Spanner columns absent at the source
	ShardColumn string            // Spanner column naming the row's shard; not compared
}

// Shard is one MySQL database holding rows of the compared tables, or a
// PostgreSQL one (tables and columns then named without quotes, so in
// lower case, as the sample and the tests create them).
type Shard struct {
	ID         string // the logical shard id; "" for an unsharded migration
	DB         *sql.DB
	PostgreSQL bool
}

// Mismatch is one primary key whose row differs between Spanner and MySQL.
type Mismatch struct {
	Table   string
	Key     map[string]string // Spanner key column -> canonical value
	Shard   string            // where the row is, or should be
	Spanner string            // the Spanner row, "" when absent
	MySQL   string            // the MySQL row, "" when absent
}

func (m Mismatch) String() string {
	sp, my := m.Spanner, m.MySQL
	if sp == "" {
		sp = "(absent)"
	}
	if my == "" {
		my = "(absent)"
	}
	return fmt.Sprintf("%s %s shard %q: Spanner %s, MySQL %s", m.Table, keyString(m.Key), m.Shard, sp, my)
}

func keyString(k map[string]string) string {
	names := make([]string, 0, len(k))
	for n := range k {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + k[n]
	}
	return "{" + strings.Join(parts, ",") + "}"
}

type column struct {
	spanner, mysql, typ string
}

// CompareTable reads t in full from Spanner and from every shard and lists
// each primary key whose row differs: missing on either side, different
// values, or held by another shard than its shard column names. Values are
// compared in a canonical text form per Spanner type, so that BOOL matches
// TINYINT(1), TIMESTAMP matches DATETIME(6) in UTC, NUMERIC matches DECIMAL.
func CompareTable(ctx context.Context, sp *spanner.Client, shards []Shard, t Table) (rows int, mismatches []Mismatch, err error) {
	cols, err := spannerColumns(ctx, sp, t)
	if err != nil {
		return 0, nil, err
	}
	want, shardOf, err := readSpanner(ctx, sp, t, cols)
	if err != nil {
		return 0, nil, fmt.Errorf("reading Spanner table %s: %w", t.Name, err)
	}
	got := map[string]string{}   // key -> row
	where := map[string]string{} // key -> shard id
	keys := map[string]map[string]string{}
	for _, sh := range shards {
		read := readMySQL
		if sh.PostgreSQL {
			read = readPostgreSQL
		}
		rs, err := read(ctx, sh.DB, t, cols)
		if err != nil {
			return 0, nil, fmt.Errorf("reading MySQL table %s (shard %q): %w", sourceName(t), sh.ID, err)
		}
		for k, r := range rs {
			if prev, dup := where[k]; dup {
				mismatches = append(mismatches, Mismatch{Table: t.Name, Key: r.key, Shard: sh.ID, MySQL: r.row + " (also in shard " + strconv.Quote(prev) + ")"})
				continue
			}
			got[k], where[k], keys[k] = r.row, sh.ID, r.key
		}
	}
	for k, w := range want {
		g, ok := got[k]
		wantShard := shardOf[k]
		switch {
		case !ok:
			mismatches = append(mismatches, Mismatch{Table: t.Name, Key: w.key, Shard: wantShard, Spanner: w.row})
		case g != w.row:
			mismatches = append(mismatches, Mismatch{Table: t.Name, Key: w.key, Shard: where[k], Spanner: w.row, MySQL: g})
		case t.ShardColumn != "" && where[k] != wantShard:
			mismatches = append(mismatches, Mismatch{Table: t.Name, Key: w.key, Shard: wantShard, Spanner: w.row,
				MySQL: g + " (in shard " + strconv.Quote(where[k]) + ")"})
		}
		delete(got, k)
	}
	for k, g := range got {
		mismatches = append(mismatches, Mismatch{Table: t.Name, Key: keys[k], Shard: where[k], MySQL: g})
	}
	sort.Slice(mismatches, func(i, j int) bool { return mismatches[i].String() < mismatches[j].String() })
	return len(want), mismatches, nil
}

func sourceName(t Table) string {
	if t.SourceName != "" {
		return t.SourceName
	}
	return t.Name
}

// spannerColumns lists the compared columns with their Spanner types, keys
// first so that rows print key first.
func spannerColumns(ctx context.Context, sp *spanner.Client, t Table) ([]column, error) {
	skip := map[string]bool{t.ShardColumn: true}
	for _, s := range t.Skip {
		skip[s] = true
	}
	var cols []column
	it := sp.Single().Query(ctx, spanner.Statement{
		SQL:    "SELECT COLUMN_NAME, SPANNER_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = '' AND TABLE_NAME = @t ORDER BY ORDINAL_POSITION",
		Params: map[string]any{"t": t.Name},
	})
	err := it.Do(func(r *spanner.Row) error {
		var c column
		if err := r.Columns(&c.spanner, &c.typ); err != nil {
			return err
		}
		if skip[c.spanner] {
			return nil
		}
		c.mysql = c.spanner
		if n, ok := t.Renamed[c.spanner]; ok {
			c.mysql = n
		}
		cols = append(cols, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("columns of Spanner table %s: %w", t.Name, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("Spanner table %s: no such table", t.Name)
	}
	isKey := map[string]int{}
	for i, k := range t.Key {
		isKey[k] = i + 1
	}
	sort.SliceStable(cols, func(i, j int) bool {
		ki, kj := isKey[cols[i].spanner], isKey[cols[j].spanner]
		if ki == 0 || kj == 0 {
			return ki != 0 && kj == 0
		}
		return ki < kj
	})
	return cols, nil
}

type keyedRow struct {
	key map[string]string
	row string
}

func readSpanner(ctx context.Context, sp *spanner.Client, t Table, cols []column) (map[string]keyedRow, map[string]string, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = "`" + c.spanner + "`"
	}
	if t.ShardColumn != "" {
		names = append(names, "`"+t.ShardColumn+"`")
	}
	out, shardOf := map[string]keyedRow{}, map[string]string{}
	it := sp.Single().Query(ctx, spanner.Statement{SQL: "SELECT " + strings.Join(names, ", ") + " FROM `" + t.Name + "`"})
	err := it.Do(func(r *spanner.Row) error {
		vals := make([]string, len(cols))
		for i, c := range cols {
			var v spanner.GenericColumnValue
			if err := r.Column(i, &v); err != nil {
				return err
			}
			s, err := canonicalSpanner(v, c.typ)
			if err != nil {
				return fmt.Errorf("column %s: %w", c.spanner, err)
			}
			vals[i] = s
		}
		kr := keyed(t, cols, vals)
		k := keyString(kr.key)
		out[k] = kr
		if t.ShardColumn != "" {
			var s spanner.NullString
			if err := r.Column(len(cols), &s); err != nil {
				return err
			}
			shardOf[k] = s.StringVal
		}
		return nil
	})
	return out, shardOf, err
}

func readMySQL(ctx context.Context, db *sql.DB, t Table, cols []column) (map[string]keyedRow, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = "`" + c.mysql + "`"
	}
	return readRows(ctx, db, "SELECT "+strings.Join(names, ", ")+" FROM `"+sourceName(t)+"`", t, cols)
}

// readRows runs query, whose columns are cols in MySQL's text forms, and
// keys its rows.
func readRows(ctx context.Context, db *sql.DB, query string, t Table, cols []column) (map[string]keyedRow, error) {
	rs, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]keyedRow{}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		vals := make([]string, len(cols))
		for i, c := range cols {
			s, err := canonicalMySQL(raw[i], c.typ)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", c.mysql, err)
			}
			vals[i] = s
		}
		kr := keyed(t, cols, vals)
		out[keyString(kr.key)] = kr
	}
	return out, rs.Err()
}

func keyed(t Table, cols []column, vals []string) keyedRow {
	key := map[string]string{}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.spanner + "=" + vals[i]
		for _, k := range t.Key {
			if k == c.spanner {
				key[k] = vals[i]
			}
		}
	}
	return keyedRow{key: key, row: "{" + strings.Join(parts, ", ") + "}"}
}

const null = "NULL"

func canonicalSpanner(v spanner.GenericColumnValue, typ string) (string, error) {
	if _, isNull := v.Value.GetKind().(*structpb.Value_NullValue); isNull {
		return null, nil
	}
	switch v.Type.GetCode() {
	case sppb.TypeCode_INT64, sppb.TypeCode_STRING, sppb.TypeCode_JSON, sppb.TypeCode_ENUM:
		return v.Value.GetStringValue(), nil
	case sppb.TypeCode_BOOL:
		if v.Value.GetBoolValue() {
			return "1", nil
		}
		return "0", nil
	case sppb.TypeCode_FLOAT64, sppb.TypeCode_FLOAT32:
		if s := v.Value.GetStringValue(); s != "" { // NaN, Infinity
			return s, nil
		}
		return strconv.FormatFloat(v.Value.GetNumberValue(), 'g', -1, 64), nil
	case sppb.TypeCode_NUMERIC:
		r, ok := new(big.Rat).SetString(v.Value.GetStringValue())
		if !ok {
			return "", fmt.Errorf("NUMERIC %q", v.Value.GetStringValue())
		}
		return r.RatString(), nil
	case sppb.TypeCode_DATE:
		return v.Value.GetStringValue(), nil
	case sppb.TypeCode_TIMESTAMP:
		ts, err := time.Parse(time.RFC3339Nano, v.Value.GetStringValue())
		if err != nil {
			return "", err
		}
		return ts.UTC().Format("2006-01-02 15:04:05.000000"), nil
	case sppb.TypeCode_BYTES:
		return "b64:" + v.Value.GetStringValue(), nil
	}
	return "", fmt.Errorf("type %s is not compared", typ)
}

func canonicalMySQL(b sql.RawBytes, typ string) (string, error) {
	if b == nil {
		return null, nil
	}
	s := string(b)
	switch base(typ) {
	case "BOOL":
		if s == "0" {
			return "0", nil
		}
		return "1", nil
	case "FLOAT64", "FLOAT32":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", err
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case "NUMERIC":
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return "", fmt.Errorf("DECIMAL %q", s)
		}
		return r.RatString(), nil
	case "TIMESTAMP":
		ts, err := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil {
			return "", err
		}
		return ts.Format("2006-01-02 15:04:05.000000"), nil
	case "BYTES":
		return "b64:" + base64.StdEncoding.EncodeToString(b), nil
	}
	return s, nil
}

// base drops the length of STRING(100), BYTES(MAX) and the like.
func base(typ string) string {
	if i := strings.IndexByte(typ, '('); i >= 0 {
		return typ[:i]
	}
	return typ
}
