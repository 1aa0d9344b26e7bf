package dml

import (
	"strings"
	"testing"
)

func TestShadowStatements(t *testing.T) {
	ddl, err := CreateShadowTable("ns", `shadow_T"x`, "h", []string{"Id"}, "ts", "seq")
	want := "CREATE TABLE IF NOT EXISTS \"ns\".\"shadow_T\"\"x\" (\n  \"h\" bytea NOT NULL,\n  \"Id\" text,\n" +
		"  \"ts\" bigint,\n  \"seq\" bigint,\n  PRIMARY KEY (\"h\")\n)"
	if err != nil || ddl != want {
		t.Errorf("CreateShadowTable:\n got %q (%v)\nwant %q", ddl, err, want)
	}
	if _, err := CreateShadowTable("ns", "s", "h", []string{"h"}, "ts", "seq"); err == nil {
		t.Error("a key column named like the hash column must be refused")
	}
	st, err := InsertShadowRows("ns", "s", "h", []string{"h", "Id", "ts"}, [][]any{{"\\x00", "1", 5}, {"\\x01", nil, nil}})
	if want := `INSERT INTO "ns"."s" ("h","Id","ts") OVERRIDING SYSTEM VALUE VALUES ($1,$2,$3),($4,$5,$6) ON CONFLICT ("h") DO NOTHING RETURNING "h"`; err != nil || st.SQL != want || len(st.Args) != 6 {
		t.Errorf("InsertShadowRows = %q %v (%v), want %q", st.SQL, st.Args, err, want)
	}
	q, err := LockShadowRows("ns", "s", "h", []string{"h", "ts", "seq"}, 2)
	if want := `SELECT "h","ts","seq" FROM "ns"."s" WHERE "h" IN ($1,$2) ORDER BY "h" FOR UPDATE`; err != nil || q != want {
		t.Errorf("LockShadowRows = %q (%v), want %q", q, err, want)
	}
	// runMode=verify's read takes no locks.
	q, err = ShadowRows("ns", "s", "h", []string{"h", "ts", "seq"}, 2)
	if want := `SELECT "h","ts","seq" FROM "ns"."s" WHERE "h" IN ($1,$2) ORDER BY "h"`; err != nil || q != want {
		t.Errorf("ShadowRows = %q (%v), want %q", q, err, want)
	}
}

// FuzzLockShadowRows: the statement has one placeholder per key and its
// identifiers stay quoted.
func FuzzLockShadowRows(f *testing.F) {
	f.Add("public", "shadow_T", 3)
	f.Add(`a"b`, `x";--`, 1)
	f.Fuzz(func(t *testing.T, ns, table string, n int) {
		if n > 1000 {
			n = 1000
		}
		q, err := LockShadowRows(ns, table, "h", []string{"h", "ts"}, n)
		if err != nil {
			return
		}
		if got := strings.Count(q, "$"); got != n+strings.Count(ns+table, "$") {
			t.Errorf("%d placeholders for %d keys: %q", got, n, q)
		}
		if strings.Count(q, `"`)%2 != 0 {
			t.Errorf("unbalanced quotes: %q", q)
		}
	})
}
