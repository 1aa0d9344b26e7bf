package mysql

import (
	"context"
	"reflect"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

func TestIsGenerated(t *testing.T) {
	tests := []struct {
		extra string
		want  bool
	}{
		{"VIRTUAL GENERATED", true},
		{"STORED GENERATED", true},
		{"virtual generated", true},
		{"PERSISTENT", true},
		{"VIRTUAL", true},
		{"", false},
		{"auto_increment", false},
		{"DEFAULT_GENERATED", false},
		{"DEFAULT_GENERATED on update CURRENT_TIMESTAMP", false},
		{"on update current_timestamp()", false},
		{"INVISIBLE", false},
	}
	for _, tt := range tests {
		if got := isGenerated(tt.extra); got != tt.want {
			t.Errorf("isGenerated(%q) = %v, want %v", tt.extra, got, tt.want)
		}
	}
}

// TestReadSchema reads a live schema: generated columns of both kinds, an
// expression default, a composite key in key order, lengths.
func TestReadSchema(t *testing.T) {
	db, dsn := testenv.MySQL(t)
	for _, st := range []string{
		"CREATE TABLE t (b INT NOT NULL, a VARCHAR(20), g1 VARCHAR(30) AS (CONCAT(a, '!')) VIRTUAL, g2 INT AS (b * 2) STORED, " +
			"at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, u INT UNSIGNED, PRIMARY KEY (a, b))",
		"CREATE TABLE nokey (x INT)",
		"CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50), org INT, login VARCHAR(20), nick VARCHAR(20), " +
			"UNIQUE KEY by_email (email), UNIQUE KEY by_login (login, org), KEY by_nick (nick))",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSchema(context.Background(), db, cfg.DBName)
	if err != nil {
		t.Fatal(err)
	}
	tbl := s.Tables["t"]
	if !reflect.DeepEqual(tbl.PrimaryKey, []string{"a", "b"}) {
		t.Errorf("primary key %v, want [a b] (key order)", tbl.PrimaryKey)
	}
	want := map[string]bool{"b": false, "a": false, "g1": true, "g2": true, "at": false, "u": false}
	for _, c := range tbl.Columns {
		if g, ok := want[c.Name]; !ok || g != c.Generated {
			t.Errorf("column %s: Generated = %v", c.Name, c.Generated)
		}
	}
	if a, _ := tbl.Column("a"); a.MaxLength != 20 || a.DataType != "varchar" || a.Nullable {
		t.Errorf("column a: %+v", a)
	}
	if u, _ := tbl.Column("u"); !u.Unsigned() {
		t.Errorf("column u: %+v is unsigned", u)
	}
	if k := s.Tables["nokey"].PrimaryKey; len(k) != 0 {
		t.Errorf("nokey has key %v", k)
	}
	if u := tbl.UniqueKeys; len(u) != 0 {
		t.Errorf("t has unique keys %v beside its primary key", u)
	}
	wantUnique := []schema.UniqueKey{{Name: "by_email", Columns: []string{"email"}}, {Name: "by_login", Columns: []string{"login", "org"}}}
	if u := s.Tables["users"].UniqueKeys; !reflect.DeepEqual(u, wantUnique) {
		t.Errorf("users unique keys %+v, want %+v (non-unique by_nick left out, columns in index order)", u, wantUnique)
	}
}
