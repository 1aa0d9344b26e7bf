package dml

import (
	"strings"
	"testing"
)

func TestShadowStatements(t *testing.T) {
	ddl, err := CreateShadowTable("shadow_T`x", "h", 128, []string{"Id", "Name"}, "ts", "seq", "tok")
	want := "CREATE TABLE IF NOT EXISTS `shadow_T``x` (\n  `h` VARBINARY(128) NOT NULL,\n" +
		"  `Id` TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,\n  `Name` TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,\n" +
		"  `ts` BIGINT NULL,\n  `seq` BIGINT NULL,\n  `tok` BIGINT NOT NULL DEFAULT 0,\n  PRIMARY KEY (`h`)\n) ENGINE=InnoDB"
	if err != nil || ddl != want {
		t.Errorf("CreateShadowTable:\n got %q (%v)\nwant %q", ddl, err, want)
	}
	for _, n := range []int{0, -1, 3073} {
		if _, err := CreateShadowTable("s", "h", n, []string{"Id"}, "ts", "seq", "tok"); err == nil {
			t.Errorf("key length %d must be refused (InnoDB indexes at most 3072 bytes)", n)
		}
	}
	if _, err := CreateShadowTable("s", "h", 128, []string{"ts"}, "ts", "seq", "tok"); err == nil {
		t.Error("a key column named like a version column must be refused")
	}
	if _, err := CreateShadowTable("s", "h", 128, []string{"tok"}, "ts", "seq", "tok"); err == nil {
		t.Error("a key column named like the token column must be refused")
	}
	st, err := InsertShadowRows("s", "h", "tok", []string{"h", "Id", "tok"}, [][]any{{[]byte{0}, "1", 0}, {[]byte{1}, nil, 0}})
	if want := "INSERT INTO `s` (`h`,`Id`,`tok`) VALUES (?,?,?),(?,?,?) ON DUPLICATE KEY UPDATE `tok`=IF(`tok`>0,`tok`+1,1)"; err != nil || st.SQL != want || len(st.Args) != 6 {
		t.Errorf("InsertShadowRows = %q %v (%v), want %q", st.SQL, st.Args, err, want)
	}
	q, err := LockShadowRows("s", "h", []string{"h", "ts", "seq"}, 3)
	if want := "SELECT `h`,`ts`,`seq` FROM `s` WHERE `h` IN (?,?,?) ORDER BY `h` FOR UPDATE"; err != nil || q != want {
		t.Errorf("LockShadowRows = %q (%v), want %q", q, err, want)
	}
	if _, err := LockShadowRows("s", "h", []string{"h"}, 0); err == nil {
		t.Error("no keys must be refused")
	}
	// runMode=verify's read takes no locks.
	q, err = ShadowRows("s", "h", []string{"h", "ts", "seq"}, 2)
	if want := "SELECT `h`,`ts`,`seq` FROM `s` WHERE `h` IN (?,?) ORDER BY `h`"; err != nil || q != want {
		t.Errorf("ShadowRows = %q (%v), want %q", q, err, want)
	}
}

// FuzzCreateShadowTable: any names give one statement whose identifiers
// are all quoted (no backtick escapes its quotes).
func FuzzCreateShadowTable(f *testing.F) {
	f.Add("shadow_T", "Id")
	f.Add("a`b", "c`;DROP TABLE x;--")
	f.Fuzz(func(t *testing.T, table, col string) {
		ddl, err := CreateShadowTable(table, "h", 128, []string{col}, "ts", "seq", "tok")
		if err != nil {
			return
		}
		// Outside quoted identifiers, only the fixed words remain.
		var outside strings.Builder
		in := false
		for i := 0; i < len(ddl); i++ {
			c := ddl[i]
			if c == '`' {
				if in && i+1 < len(ddl) && ddl[i+1] == '`' {
					i++
					continue
				}
				in = !in
				continue
			}
			if !in {
				outside.WriteByte(c)
			}
		}
		if in || strings.ContainsAny(outside.String(), ";") {
			t.Errorf("unbalanced or injected DDL: %q", ddl)
		}
	})
}
