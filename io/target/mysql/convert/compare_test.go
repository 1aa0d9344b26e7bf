package convert

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

func TestKeyComparable(t *testing.T) {
	tests := []struct {
		dataType, columnType string
		wantErr              string // "" when comparable
	}{
		{"float", "float", ""},
		{"float", "float unsigned", ""},
		{"double", "double", ""},
		{"double", "double precision", ""},
		{"float", "float(7,4)", "rounds stored values to 4 decimals"},
		{"double", "double(10,2)", "rounds stored values to 2 decimals"},
		{"json", "json", "JSON column"},
		{"int", "int(11)", ""},
		{"decimal", "decimal(10,2)", ""},
		{"varchar", "varchar(20)", ""},
		{"datetime", "datetime(6)", ""},
		{"timestamp", "timestamp", ""},
		{"varbinary", "varbinary(16)", ""},
	}
	for _, tt := range tests {
		err := KeyComparable(schema.SourceColumn{Name: "c", DataType: tt.dataType, ColumnType: tt.columnType})
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v, want comparable", tt.columnType, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: %v, want an error containing %q", tt.columnType, err, tt.wantErr)
		}
	}
}

// TestKeyComparableOnMariaDB writes values through Value into float
// columns of a real server and looks them up with `c = ?`, as a DELETE
// does: a row is found exactly when KeyComparable says so. (MariaDB
// compares a JSON column as text, so JSON is refused for MySQL 8's sake
// and is not checked here.)
func TestKeyComparableOnMariaDB(t *testing.T) {
	db, _ := testenv.MySQL(t)
	values := []struct{ typ, raw string }{
		{"FLOAT64", `0.1`}, {"FLOAT64", `0.3333333333333333`}, {"FLOAT64", `123456.789`},
		{"FLOAT64", `-2.5e-7`}, {"FLOAT64", `1e300`}, {"FLOAT32", `0.1`}, {"FLOAT32", `3.4028235e38`},
	}
	for i, colType := range []string{"float", "double", "float(7,4)", "double(10,2)"} {
		dt, _, _ := strings.Cut(colType, "(")
		col := schema.SourceColumn{Name: "c", DataType: dt, ColumnType: colType, Nullable: true}
		comparable := KeyComparable(col) == nil
		table := fmt.Sprintf("cmp%d", i)
		missed := 0
		if _, err := db.Exec("CREATE TABLE " + table + " (id INT PRIMARY KEY, c " + colType + ")"); err != nil {
			t.Fatal(err)
		}
		for j, v := range values {
			typ, err := spannertype.Parse(v.typ)
			if err != nil {
				t.Fatal(err)
			}
			bound, err := Value(typ, json.RawMessage(v.raw), col, nil)
			if err != nil {
				continue // out of range for the column: nothing stored
			}
			if _, err := db.Exec("INSERT INTO "+table+" VALUES (?, ?)", j, bound); err != nil {
				continue // out of range for FLOAT(M,D) / DOUBLE(M,D)
			}
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE id = ? AND c = ?", j, bound).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if comparable && n != 1 {
				t.Errorf("%s %s into %s: `c = ?` found no row, though KeyComparable allows it", v.typ, v.raw, colType)
			}
			if n == 0 {
				missed++
			}
		}
		if !comparable && missed == 0 {
			t.Errorf("%s: `c = ?` found every row, though KeyComparable refuses the type", colType)
		}
	}
}
